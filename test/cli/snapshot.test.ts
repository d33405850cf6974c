/*
 * `run --snapshot-at / --snapshot-file`, `--restore` and `--diff-from` as a user types them
 * (in process): a restored run ends as the plain one (console, exit, instructions, RAM digest),
 * into another format, host layout and host memory; base plus diff does too; and each bad file --
 * truncated, corrupt, of another version, of the other architecture, a diff without its base or
 * with the wrong one -- is one line on stderr and exit 2. The whole matrix of samples is in
 * test/emulator/snapshot/snapshot.test.ts; here are the command line's own cases.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../cli/exit-codes.js';
import { fullChecks, setFullChecks } from '../../mmu/checks.js';
import { runCli } from './capture.js';

// Full invariant sweeps are other suites' business; these runs only need to be quick.
const wasFull = fullChecks();
beforeAll(() => setFullChecks(false));
afterAll(() => setFullChecks(wasFull));

const dir = mkdtempSync(join(tmpdir(), 'nestvm-snap-'));
const file = (name: string) => join(dir, name);

async function runJson(...argv: string[]) {
  const r = await runCli('run', ...argv, '--json');
  expect(r.stderr).toBe('');
  return { status: r.status, json: JSON.parse(r.stdout) };
}

/* The parts of a run's JSON that a restored run must reproduce. */
const end = (j: { console: string; exit: unknown; instructions: number; ramDigest: string }) => ({
  console: j.console,
  exit: j.exit,
  instructions: j.instructions,
  ramDigest: j.ramDigest,
});

/* One line on stderr, exit 2, nothing on stdout. */
function refused(r: { status: number; stdout: string; stderr: string }, why: RegExp): void {
  expect(r.status).toBe(EXIT.usage);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(/^nestvm: [^\n]+\n$/);
  expect(r.stderr).toMatch(why);
}

describe('run --snapshot-at, --restore', () => {
  const guest = 'c-hello-x86_64';
  let plain: ReturnType<typeof end>;

  beforeAll(async () => {
    const a = await runJson(guest, '--snapshot-at', '100000', '--snapshot-file', file('base.nvs'));
    expect(a.json.snapshot).toMatchObject({ file: file('base.nvs'), instructions: 100_000, base: null });
    plain = end(a.json);
    const d = await runJson(
      guest,
      '--snapshot-at',
      '250000',
      '--snapshot-file',
      file('diff.nvs'),
      '--diff-from',
      file('base.nvs'),
    );
    expect(d.json.snapshot.base).toBe(a.json.snapshot.id);
    expect(d.json.snapshot.pages).toBeLessThan(a.json.snapshot.pages);
    expect(end(d.json)).toEqual(plain);
  });

  it('a restored run needs no guest and ends as the plain run, on another format, layout and host memory', async () => {
    for (const flags of [
      ['--format', 'npt', '--host-layout', 'identity'],
      ['--host-mem', '1M', '--reclaim', 'fifo'],
    ]) {
      const r = await runJson('--restore', file('base.nvs'), ...flags);
      expect(r.status).toBe(0);
      expect(end(r.json)).toEqual(plain);
      expect(r.json.guest).toBe(guest);
      expect(r.json.restored.instructions).toBe(100_000);
    }
  });

  it('a restored run writes back the same bytes: the snapshot it takes at once, and the diff it takes later', async () => {
    await runJson(
      '--restore',
      file('base.nvs'),
      '--snapshot-at',
      '100000',
      '--snapshot-file',
      file('again.nvs'),
    );
    expect(readFileSync(file('again.nvs')).equals(readFileSync(file('base.nvs')))).toBe(true);
    const flags = [
      '--snapshot-at',
      '250000',
      '--snapshot-file',
      file('diff2.nvs'),
      '--diff-from',
      file('base.nvs'),
    ];
    await runJson('--restore', file('base.nvs'), '--host-mem', '1M', ...flags);
    expect(readFileSync(file('diff2.nvs')).equals(readFileSync(file('diff.nvs')))).toBe(true);
  });

  it('streams only what the guest prints after the restore, and names the snapshot in the summary', async () => {
    const r = await runCli('run', guest, '--restore', file('base.nvs'));
    expect(r.status).toBe(0);
    expect(plain.console.endsWith(r.stdout)).toBe(true);
    expect(r.stdout.length).toBeLessThan(plain.console.length);
    expect(r.stderr).toMatch(/restored from +\S+base\.nvs at 100,000 instructions/);
  });

  it('base plus diff ends as the plain run; the diff alone, or over another base, is refused', async () => {
    const r = await runJson(
      '--restore',
      file('diff.nvs'),
      '--diff-from',
      file('base.nvs'),
      '--format',
      'npt',
    );
    expect(end(r.json)).toEqual(plain);
    refused(await runCli('run', '--restore', file('diff.nvs')), /is a diff: give its base with --diff-from/);
    await runJson('hello-x86_64', '--snapshot-at', '10', '--snapshot-file', file('other.nvs'));
    refused(
      await runCli('run', '--restore', file('diff.nvs'), '--diff-from', file('other.nvs')),
      /is of guest hello-x86_64, not c-hello-x86_64/,
    );
  });

  it('a truncated, corrupt or other-version file, or one of the other architecture, is one line and exit 2', async () => {
    const good = readFileSync(file('base.nvs'));
    writeFileSync(file('cut.nvs'), good.subarray(0, good.length - 5000));
    const corrupt = Buffer.from(good);
    corrupt[corrupt.length >> 1] ^= 0x40;
    writeFileSync(file('corrupt.nvs'), corrupt);
    const v1 = Buffer.from(good); // a version 1 file (one vCPU's REGS) reads as refused, not as garbage
    v1.writeUInt32LE(1, 8);
    writeFileSync(file('v1.nvs'), v1);
    const v3 = Buffer.from(good);
    v3.writeUInt32LE(3, 8);
    writeFileSync(file('v3.nvs'), v3);
    writeFileSync(file('short.nvs'), good.subarray(0, 40));
    refused(
      await runCli('run', '--restore', file('cut.nvs')),
      /checksum does not match: it is truncated or corrupt/,
    );
    refused(await runCli('run', '--restore', file('corrupt.nvs')), /checksum does not match/);
    refused(
      await runCli('run', '--restore', file('v1.nvs')),
      /version 1 snapshot; this nestvm reads version 2/,
    );
    refused(
      await runCli('run', '--restore', file('v3.nvs')),
      /version 3 snapshot; this nestvm reads version 2/,
    );
    refused(await runCli('run', '--restore', file('short.nvs')), /truncated/);
    refused(
      await runCli('run', '--restore', file('base.nvs'), '--arch', 'arm64'),
      /an x86_64 guest, not arm64/,
    );
    refused(
      await runCli('run', 'hello-arm64', '--restore', file('base.nvs')),
      /of guest c-hello-x86_64, not hello-arm64/,
    );
    refused(await runCli('run', '--restore', file('missing.nvs')), /cannot read snapshot .*ENOENT/);
  });

  it('four vCPUs: restored without --cpus (the snapshot says), full or base plus diff, as the plain run; another count or quantum is exit 2', async () => {
    const at = (n: string, f: string, ...more: string[]) =>
      runJson('smp-sum', '--snapshot-at', n, '--snapshot-file', file(f), ...more);
    const plain = await at('20011', 'smp-base.nvs'); // the whole run, with its RAM digest at the end
    expect([plain.json.snapshot.instructions, plain.json.cpus.length]).toEqual([20_011, 4]);
    expect((await at('90017', 'smp-diff.nvs', '--diff-from', file('smp-base.nvs'))).status).toBe(0);
    const full = await runJson('--restore', file('smp-base.nvs'), '--format', 'npt');
    const diff = await runJson('--restore', file('smp-diff.nvs'), '--diff-from', file('smp-base.nvs'));
    const insns = (j: { cpus: { insns: number }[] }) => j.cpus.map((c) => c.insns);
    for (const r of [full, diff]) {
      expect(end(r.json)).toEqual(end(plain.json));
      expect(insns(r.json)).toEqual(insns(plain.json));
    }
    refused(
      await runCli('run', '--restore', file('smp-base.nvs'), '--cpus', '1'),
      /the snapshot has 4 vCPUs, the machine 1 \(--cpus\)/,
    );
    refused(
      await runCli('run', '--restore', file('smp-base.nvs'), '--quantum', '999'),
      /the snapshot's quantum is 10000, the machine's 999 \(--quantum\)/,
    );
  });

  it('flags that do not go together, and a count the guest never reaches, are exit 2', async () => {
    refused(
      await runCli('run', guest, '--snapshot-at', '5'),
      /--snapshot-at N and --snapshot-file FILE go together/,
    );
    refused(await runCli('run'), /run needs a guest/);
    refused(
      await runCli('run', guest, '--diff-from', file('base.nvs')),
      /--diff-from BASE needs --snapshot-at/,
    );
    const r = await runCli(
      'run',
      'hello-x86_64',
      '--snapshot-at',
      '1000000',
      '--snapshot-file',
      file('never.nvs'),
    );
    expect(r.status).toBe(EXIT.usage);
    expect(r.stderr).toMatch(/the guest stopped before --snapshot-at 1000000: no snapshot written\n$/);
  });
});
