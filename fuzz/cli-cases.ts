/*
 * Cases that go through the command line: a guest file written to a scratch folder and run in
 * process (ELF and flag cases), or assembly run in a child process with a deadline, because an
 * assembler that loops would otherwise stop the whole campaign.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../cli/main.js';
import { PACKAGE_ROOT } from '../emulator/package-root.js';
import type { CliOutcome } from './oracle.js';

export const scratch = mkdtempSync(join(tmpdir(), 'nestvm-fuzz-'));
process.once('exit', () => rmSync(scratch, { recursive: true, force: true }));

/** The CLI in this process, its output captured. */
export async function cliInProcess(argv: string[]): Promise<CliOutcome> {
  let stderr = '';
  const sink = { write: () => true };
  const status = await main(argv, { stdout: sink, stderr: { write: (t: string) => (stderr += t) } });
  return { status, stderr };
}

export function writeScratch(name: string, bytes: Uint8Array | string): string {
  const path = join(scratch, name);
  writeFileSync(path, bytes);
  return path;
}

/** The built CLI in a child process, killed after `ms`; status -1 means it had to be killed. */
export function cliChild(argv: string[], ms: number): CliOutcome {
  const r = spawnSync(process.execPath, [join(PACKAGE_ROOT, 'dist/cli/bin.js'), ...argv], {
    encoding: 'utf8',
    timeout: ms,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return { status: r.status ?? -1, stderr: r.stderr ?? '' };
}
