/*
 * `nestvm run a b c` and `run --merge` as a user runs them: every guest's console tagged with its
 * VM, the summary per VM and for the host, the first non-zero guest status as the exit status,
 * --json split per guest with the host's and merging's figures, and the refusals (exit 2).
 */
import { describe, expect, it } from 'vitest';
import { consoleTagger } from '../../cli/run-multi.js';
import { hostExitCode } from '../../cli/host-report.js';
import { runCli } from './capture.js';

describe('run with several guests', () => {
  it('tags each console line with its VM and exits with the first non-zero guest status', async () => {
    const r = await runCli('run', 'hello', 'memtouch', 'hello-arm64', '--mem', '4M');
    expect(r.status).toBe(1); // memtouch's
    const lines = r.stdout.split('\n').filter((l) => l !== '');
    expect(lines).toEqual([
      '[vm0] Hello from nestvm (x86-64)!',
      '[vm1] memtouch (x86-64): pages 0x00000100 from 0x00200000',
      '[vm1] read back ok, checksum 0x00007f80',
      '[vm2] Hello from nestvm (arm64)!',
    ]);
    expect(r.stderr).toContain('[vm1] nestvm: x86_64 guest exited after 5,058 instructions, exit status 1');
    expect(r.stderr).toContain('[vm2] nestvm: arm64 guest exited after 169 instructions, exit status 0');
    expect(r.stderr).toContain('nestvm: host ran 3 guests, 5,374 instructions in all, exit status 1');
  });

  it('--merge --json: one object with each console whole and the merge figures', async () => {
    const r = await runCli(
      'run',
      'c-hello',
      'c-hello',
      '--mem',
      '2M',
      '--merge',
      '--merge-interval',
      '20000',
      '--json',
    );
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.guests).toHaveLength(2);
    expect(j.guests[0].console).toBe(j.guests[1].console);
    expect(j.guests[0].console).toContain('primes below 8192: 1028, sum 3908641');
    expect(j.host).toMatchObject({ guests: 2, exit: { code: 0 } });
    expect(j.host.pv.multiMapped).toBeGreaterThan(0);
    expect(j.merge.framesSaved).toBeGreaterThan(0);
    expect(j.merge.cowBreaks).toBeGreaterThan(0);
    expect(Object.keys(j.merge)).toEqual(
      expect.arrayContaining(['shared', 'sharing', 'cowBreaks', 'framesSaved']),
    );
    const vms = j.merge.frames[0].mappers.map((m: { vm: number }) => m.vm).sort();
    expect(vms).toEqual([0, 1]);
    // every shared frame with the VM of each page using it, and its PTEs (from the PV list)
    type Shared = { hfn: number; pages: number; vms: number[]; mappers: { vm: number; prot: number }[] };
    const shared: Shared[] = j.merge.sharedFrames;
    expect(shared).toHaveLength(j.merge.shared);
    expect(shared.reduce((n, f) => n + f.pages, 0)).toBe(j.merge.sharing);
    expect(shared.some((f) => new Set(f.mappers.map((m) => m.vm)).size === 2)).toBe(true);
    for (const f of shared) {
      expect(f.vms).toHaveLength(f.pages);
      for (const m of f.mappers) expect(f.vms).toContain(m.vm);
      for (const m of f.mappers) expect(m.prot & 2).toBe(0); // write withheld
    }
  });

  // a copy-on-write break inside a vCPU's own fill once kept a later hlt from halting it (an AP
  // ran on into work, the boot CPU into too_few): each VM must print its total and nothing else
  it.each(['5000', '2000'])(
    'two x86-64 smp-sum of 4 vCPUs under --merge-interval %s: totals only, exit 0',
    async (interval) => {
      const guest = 'guests/x86_64/smp-sum.s';
      const r = await runCli(
        'run',
        guest,
        guest,
        '--cpus',
        '4',
        '--merge',
        '--merge-interval',
        interval,
        '--json',
      );
      expect(r.status).toBe(0);
      const j = JSON.parse(r.stdout);
      for (const g of j.guests)
        expect(g.console).toBe('smp-sum (x86-64): 4 CPUs, total 0x00000fffea64f000\n');
      expect(j.host).toMatchObject({ guests: 2, exit: { code: 0 } });
      expect(j.merge.cowBreaks).toBeGreaterThan(0);
    },
  );

  it.each([
    [['run', 'hello', '--merge-interval', '5'], '--merge-interval needs --merge'],
    [['run', 'hello', 'hello', '--gdb', '0'], '--gdb debugs one guest'],
    [['run', 'hello', 'hello', '--host-mem', '100K'], 'is too small for 2 guests of 16777216 bytes'],
  ])('refuses %j in one line (exit 2)', async (argv, text) => {
    const r = await runCli(...argv);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(text);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('tags lines that arrive in pieces once, and takes the first non-zero status', () => {
    let out = '';
    const w = consoleTagger('[vm3] ', (t) => (out += t));
    for (const piece of ['ab', 'c\nd', '\n', '\n', 'e']) w(piece);
    expect(out).toBe('[vm3] abc\n[vm3] d\n[vm3] \n[vm3] e');
    expect(hostExitCode([{ code: 0 }, { code: 4 }, { code: 1 }] as never)).toBe(4);
    expect(hostExitCode([{ code: 0 }] as never)).toBe(0);
  });
});
