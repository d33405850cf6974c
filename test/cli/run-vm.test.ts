/*
 * `run --vm "GUEST [per-VM options]"` as a user runs it: each VM takes its own --mem, --cpus,
 * --max-insns and --format and the command line's options for the rest, VMs follow the positional
 * guests, bad per-VM input is one line that names the VM (exit 2), and VMs of several vCPUs share
 * one host with --merge, their faults taking PV entries from per-CPU lists (counts above zero and
 * consistent in a real run).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../cli/exit-codes.js';
import { PACKAGE_ROOT } from '../../emulator/package-root.js';
import { runCli } from './capture.js';

const smp = join(PACKAGE_ROOT, 'guests/arm64/smp-sum.s');

describe('run --vm', () => {
  it('gives each VM its own options, after the positional guests', async () => {
    const r = await runCli(
      ...[
        'run',
        'hello',
        '--mem',
        '4M',
        '--vm',
        'hello --format npt --mem 2M',
        '--vm',
        'loop --max-insns 1000',
      ],
      '--json',
    );
    const j = JSON.parse(r.stdout);
    expect(j.guests).toHaveLength(3);
    expect(j.guests[0].format).toBe('ept');
    expect(j.guests[1].format).toBe('npt');
    expect(j.guests[2].exit.code).toBe(6); // its own --max-insns
    expect(j.guests[2].instructions).toBe(1000);
    expect(j.host.exit.code).toBe(6);
    expect(j.host.hostFrames.total).toBe((4 + 2 + 4 + 3) * 256); // 4M + 2M + 4M and 1 MiB of tables each
  });

  it.each([
    [
      ['run', '--vm', 'hello --mem lots'],
      /^nestvm: --vm "hello --mem lots" \(vm0\): --mem: 'lots' is not a size/,
    ],
    [['run', 'hello', '--vm', 'hello --cpus 9'], /\(vm1\): --cpus must be from 1 to 8, got 9/],
    [['run', '--vm', 'hello --host-mem 8M'], /\(vm0\): Unknown argument: host-mem \(per VM: --arch/],
    [['run', '--vm=--mem 2M'], /\(vm0\): names no guest/],
    [['run', '--vm', 'hello loop'], /\(vm0\): names 2 guests, give one/],
    [['run', '--vm', 'hello --format sv39'], /\(vm0\): Invalid values/],
  ])('refuses %j in one line naming the VM (exit 2)', async (argv, message) => {
    const r = await runCli(...argv);
    expect(r.status).toBe(EXIT.usage);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('two VMs of four vCPUs under --merge: right totals, per-CPU PV lists used and consistent', async () => {
    const r = await runCli(
      'run',
      smp,
      '--vm',
      `${smp} --cpus 4`,
      '--cpus',
      '4',
      '--merge',
      '--merge-interval',
      '5000',
      '--json',
    );
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    for (const g of j.guests) {
      expect(g.console).toBe('smp-sum (arm64): 4 CPUs, total 0x00000fffea64f000\n');
      expect(g.cpus).toHaveLength(4);
      expect(g.pvPool).toBeUndefined(); // the host's, below
    }
    const p = j.host.pvPool;
    expect(p.cpuLists).toBe(8);
    expect(p.cpuRefills).toBeGreaterThan(1); // lists of more than one vCPU refilled from the ring
    expect(p.taken).toBeGreaterThan(0);
    expect(p.returned).toBeGreaterThan(0);
    expect(p.inUse).toBe(p.taken - p.returned);
    // every entry in use sits on a PV list: a frame mapped n > 1 times holds ceil(n / 2) entries
    expect(p.inUse).toBeGreaterThanOrEqual(j.host.pv.multiMapped);
    const free = j.guests.flatMap((g: { cpus: { pvFree: number }[] }) => g.cpus.map((c) => c.pvFree));
    expect(free.some((n: number) => n > 0)).toBe(true);
    expect(j.merge.framesSaved).toBeGreaterThan(0);
    expect(j.merge.cowBreaks).toBeGreaterThan(0);
  });
});
