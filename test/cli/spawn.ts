// Runs the built CLI (dist/cli/bin.js) as a user does, for what only a real process shows:
// signals, closed pipes, the completion script. Build first (npm run build; npm test does it).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../emulator/package-root.js';

export const BIN = join(PACKAGE_ROOT, 'dist/cli/bin.js');

export interface Spawned {
  child: ChildProcess;
  /** Resolves when the process has ended, with its status (128 + n for a signal) and output. */
  done: Promise<{ status: number; stdout: string; stderr: string }>;
}

/** Start the built CLI on `argv`, with `env` added to this process's environment. */
export function spawnCli(argv: string[], env: NodeJS.ProcessEnv = {}): Spawned {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build first (npm run build)`);
  const child = spawn(process.execPath, [BIN, ...argv], {
    cwd: PACKAGE_ROOT,
    stdio: 'pipe',
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('error', () => {}); // a test may close it on purpose
  const done = new Promise<{ status: number; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code, signal) =>
      resolve({ status: code ?? 128 + (signal === 'SIGPIPE' ? 13 : 2), stdout, stderr }),
    ),
  );
  return { child, done };
}
