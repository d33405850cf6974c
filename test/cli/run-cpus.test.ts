/*
 * `run --cpus N --quantum Q` as a user sees it: the per-vCPU rows and `--json` `cpus`, a run of
 * one vCPU without them, and the flags refused in one line (exit 2): a count outside 1..8, a zero
 * quantum, and several vCPUs with what does not support them yet (several guests and --merge do:
 * test/cli/run-vm.test.ts).
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

  it('one vCPU reports as before: no cpus key, no vcpu rows', async () => {
    const r = await runCli('run', guest('x86_64/hello.s'), '--json');
    expect(Object.keys(JSON.parse(r.stdout))).not.toContain('cpus');
    expect((await runCli('run', guest('x86_64/hello.s'))).stderr).not.toMatch(/vcpu 0/);
  });

  it.each([
    [['--cpus', '9'], /--cpus must be from 1 to 8, got 9/],
    [['--cpus', '0'], /--cpus must be from 1 to 8, got 0/],
    [['--quantum', '0'], /--quantum/],
    [['--cpus', '2', '--gdb', '0'], /--cpus 2 runs one guest alone \(not with --gdb\)/],
  ])('refuses %j in one line (exit 2)', async (flags, message) => {
    const r = await runCli('run', guest('x86_64/hello.s'), ...flags);
    expect(r.status).toBe(EXIT.usage);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
