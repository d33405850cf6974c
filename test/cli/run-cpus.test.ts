/*
 * `run --cpus N --quantum Q` as a user sees it: the per-vCPU rows and `--json` `cpus`, a run of
 * one vCPU without them, and the flags refused in one line (exit 2): a count outside 1..8, a zero
 * quantum, and several vCPUs with what does not support them yet (several guests and --merge do:
 * test/cli/run-vm.test.ts). The smp-sum samples get four vCPUs without --cpus (index.json's
 * "cpus"), by name or by file, and with fewer end at once with one line and status 3.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../cli/exit-codes.js';
import { PACKAGE_ROOT } from '../../emulator/package-root.js';
import { runCli } from './capture.js';

const guest = (p: string) => join(PACKAGE_ROOT, 'guests', p);

describe('run --cpus', () => {
  it('four vCPUs: a row each in the summary, and cpus in --json that add up to the run', async () => {
    const text = await runCli('run', guest('arm64/smp-sum.s'), '--cpus', '4', '--quantum', '2000');
    expect(text.status).toBe(0);
    expect(text.stdout).toBe('smp-sum (arm64): 4 CPUs, total 0x00000fffea64f000\n');
    expect(text.stderr).toMatch(/^ {2}vcpu 3 {10}[\d,]+ instructions in \d+ turns, \d+ kicks, /m);
    const json = JSON.parse((await runCli('run', guest('arm64/smp-sum.s'), '--cpus', '4', '--json')).stdout);
    expect(json.cpus.map((c: { id: number }) => c.id)).toEqual([0, 1, 2, 3]);
    expect(json.cpus.reduce((n: number, c: { insns: number }) => n + c.insns, 0)).toBe(json.instructions);
    expect(json.quantum).toBe(10_000);
    expect(Object.keys(json.pvPool).sort()).toEqual([
      'cpuRefills',
      'inUse',
      'returned',
      'ringBatches',
      'spills',
      'taken',
    ]);
  });

  it('smp-sum without --cpus runs on four vCPUs, by name or by its file', async () => {
    for (const argv of [['smp-sum'], ['smp-sum', '--arch', 'arm64'], [guest('x86_64/smp-sum.s')]]) {
      const r = await runCli('run', ...argv, '--json');
      const json = JSON.parse(r.stdout);
      expect([r.status, json.cpus.length], argv.join(' ')).toEqual([0, 4]);
      expect(json.console).toMatch(/4 CPUs, total 0x00000fffea64f000\n$/);
    }
    const listing = (await runCli('guests')).stdout;
    expect(listing).toMatch(/^smp-sum {2,}four vCPUs sum/m);
  });

  it.each([
    ['x86_64', '1', 'smp-sum: fewer than 4 vCPUs (run with --cpus 4)\n'],
    ['x86_64', '3', 'smp-sum: fewer than 4 vCPUs (run with --cpus 4)\n'],
    ['arm64', '1', 'smp-sum: PSCI CPU_ON failed (run with --cpus 4)\n'],
    ['arm64', '2', 'smp-sum: PSCI CPU_ON failed (run with --cpus 4)\n'],
  ])('smp-sum-%s with --cpus %s says so in one line and exits with status 3', async (arch, n, line) => {
    const r = await runCli('run', `smp-sum-${arch}`, '--cpus', n, '--max-insns', '1000000');
    expect([r.status, r.stdout]).toEqual([3, line]);
  });

  it('one vCPU reports as before: no cpus key, no vcpu rows', async () => {
    const r = await runCli('run', guest('x86_64/hello.s'), '--json');
    expect(Object.keys(JSON.parse(r.stdout))).not.toContain('cpus');
    expect((await runCli('run', guest('x86_64/hello.s'))).stderr).not.toMatch(/vcpu 0/);
  });

  it.each([
    [['--cpus', '9'], /--cpus must be from 1 to 8, got 9/],
    [['--cpus', '0'], /--cpus must be from 1 to 8, got 0/],
    [['--quantum', '0'], /--quantum/],
  ])('refuses %j in one line (exit 2)', async (flags, message) => {
    const r = await runCli('run', guest('x86_64/hello.s'), ...flags);
    expect(r.status).toBe(EXIT.usage);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
