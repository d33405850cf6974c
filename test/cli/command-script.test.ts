/*
 * The `nestvm` shell command (package.json `bin`, dist/cli/nestvm from cli/nestvm.sh): run through
 * a symbolic link, as npm links it, it starts the launcher and prints what `node dist/cli/bin.js`
 * prints. When NODE_EXTRA_CA_CERTS is set, Node starts without it (so builds no certificate
 * store), and the launcher puts it back before the CLI runs, so what nestvm starts sees the
 * user's value. A probe preloaded through NODE_OPTIONS records the variable as Node starts and as
 * the process exits.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../emulator/package-root.js';
import { spawnCli } from './spawn.js';

const COMMAND = join(PACKAGE_ROOT, 'dist/cli/nestvm');
const dir = mkdtempSync(join(tmpdir(), 'nestvm-command-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PROBE = `const { writeFileSync } = require('node:fs');
const seen = (v) => (v === undefined ? '(unset)' : v);
const atStart = seen(process.env.NODE_EXTRA_CA_CERTS);
process.on('exit', () => writeFileSync(process.env.PROBE_OUT,
  JSON.stringify({ atStart, atExit: seen(process.env.NODE_EXTRA_CA_CERTS),
    kept: seen(process.env.NESTVM_NODE_EXTRA_CA_CERTS) })));
`;

function runLinked(env: NodeJS.ProcessEnv) {
  const link = join(dir, 'bin', 'nestvm');
  spawnSync('mkdir', ['-p', join(dir, 'bin')]);
  rmSync(link, { force: true });
  symlinkSync(COMMAND, link);
  const out = spawnSync(link, ['guests'], { cwd: dir, env: { ...process.env, ...env }, encoding: 'utf8' });
  return { status: out.status, stdout: out.stdout, stderr: out.stderr };
}

describe('the nestvm shell command', () => {
  it('run through a link, prints what the launcher prints', async () => {
    const direct = await spawnCli(['guests']).done;
    const linked = runLinked({});
    expect(linked).toEqual(direct);
  });

  it('starts Node without NODE_EXTRA_CA_CERTS and gives it back to the CLI', () => {
    const probe = join(dir, 'probe.cjs');
    writeFileSync(probe, PROBE);
    const certs = join(dir, 'certs.pem');
    writeFileSync(certs, '');
    const out = join(dir, 'probe.json');
    const run = runLinked({ NODE_EXTRA_CA_CERTS: certs, NODE_OPTIONS: `--require ${probe}`, PROBE_OUT: out });
    expect(run.status).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual({
      atStart: '(unset)',
      atExit: certs,
      kept: '(unset)',
    });
  });

  it('leaves an unset NODE_EXTRA_CA_CERTS unset', () => {
    const probe = join(dir, 'probe.cjs');
    writeFileSync(probe, PROBE);
    const out = join(dir, 'probe-unset.json');
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: `--require ${probe}`, PROBE_OUT: out };
    delete env.NODE_EXTRA_CA_CERTS;
    const run = spawnSync(COMMAND, ['--version'], { env, encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual({
      atStart: '(unset)',
      atExit: '(unset)',
      kept: '(unset)',
    });
  });
});
