/*
 * Several VMs of several vCPUs on one host under merging: a merge pass that changes a VM's leaves
 * leaves every vCPU of that VM (and only of the VMs it touched) on an older generation, and each of
 * them flushes its TLB at its next entry; the guests still print their right totals.
 *
 * Two x86-64 smp-sum VMs under short merge intervals: a copy-on-write break made inside a vCPU's
 * own data fill flushes its TLB in place and the engine goes on, so a hlt later in that slice
 * still halts the vCPU for good (it once counted as a kick, and the vCPU ran on past its hlt: the
 * boot CPU into too_few, an AP into work). Each VM prints only its total and halts with status 0.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadGuest } from '../../emulator/loaders/index.js';
import { Machine } from '../../emulator/machine.js';
import { HostRun } from '../../emulator/host-run.js';
import { sharedHostFor } from '../../emulator/nested-host.js';
import { PACKAGE_ROOT } from '../../emulator/package-root.js';
import { EventLog } from '../../mmu/events.js';
import type { MachineEvent } from '../../emulator/events.js';

const MEM = 2 * 1024 * 1024;

describe('two arm64 smp-sum VMs of four vCPUs each, merged', () => {
  it('a merge pass makes every vCPU of each VM it changed flush before it runs again', async () => {
    const img = await loadGuest(join(PACKAGE_ROOT, 'guests/arm64/smp-sum.s'), { memBytes: MEM });
    const host = sharedHostFor([MEM, MEM], { cpus: 8 });
    const logs = [0, 1].map(() => new EventLog<MachineEvent>());
    const ms = logs.map((sink) => new Machine(img, { memBytes: MEM, host, cpus: 4, sink }));
    try {
      // passes are run here, between slices, so each one's changes are seen on their own
      const run = new HostRun(host, ms, { interval: 1e12, pages: 1024 });
      let checked = 0;
      for (let n = 0; !run.done; n++) {
        run.slice();
        if (n % 4 !== 3) continue;
        const before = ms.map((m) => m.vm!.vmspace.generation);
        run.scanner!.pass(1024);
        const changed = ms.map((m, i) => m.vm!.vmspace.generation !== before[i]);
        for (const [i, m] of ms.entries()) {
          if (!changed[i]) continue;
          const on = m.cpus.cores.filter((c) => c.power === 'on');
          expect(on.filter((c) => !c.client!.isStale).map((c) => c.id)).toEqual([]);
          checked++;
        }
        // each vCPU of a changed VM enters the tables next with a flush
        const from = logs.map((l) => l.events.length);
        for (let k = 0; k < 8 && !run.done; k++) run.slice();
        for (const i of [0, 1]) {
          if (!changed[i]) continue;
          const first = new Map<number, boolean>();
          for (const e of logs[i].events.slice(from[i]))
            if (e.type === 'vcpu-enter' && !first.has(e.cpu ?? 0)) first.set(e.cpu ?? 0, e.flushed);
          for (const flushed of first.values()) expect(flushed).toBe(true);
        }
      }
      expect(checked).toBeGreaterThan(0);
      for (const m of ms) expect(m.console).toBe('smp-sum (arm64): 4 CPUs, total 0x00000fffea64f000\n');
      host.pmap.checkInvariants(host.frames);
      host.pmap.pool.checkInvariants();
      const p = host.pmap.pvStats;
      expect(p.cpuRefills).toBeGreaterThan(0);
      expect(p.inUse).toBe(p.taken - p.returned);
    } finally {
      for (const m of ms) m.close();
    }
  }, 60_000);
});

describe.each([10_000, 5_000, 3_000, 2_000, 1_000])(
  'two x86-64 smp-sum VMs of four vCPUs each, merged every %i',
  (interval) => {
    it('each prints only its total, every vCPU halts and the run ends with status 0', async () => {
      const img = await loadGuest(join(PACKAGE_ROOT, 'guests/x86_64/smp-sum.s'), { memBytes: MEM });
      const host = sharedHostFor([MEM, MEM], { cpus: 8 });
      const ms = [0, 1].map(() => new Machine(img, { memBytes: MEM, host, cpus: 4 }));
      try {
        const run = new HostRun(host, ms, { interval, pages: 1024 });
        while (!run.done) run.slice();
        expect(run.mergeStats().cowBreaks).toBeGreaterThan(0);
        for (const m of ms) expect(m.console).toBe('smp-sum (x86-64): 4 CPUs, total 0x00000fffea64f000\n');
        expect(run.stops.map((s) => [s!.reason, s!.code])).toEqual([
          ['halt', 0],
          ['halt', 0],
        ]);
        for (const m of ms)
          expect(m.cpus.cores.map((c) => c.power)).toEqual(['halted', 'halted', 'halted', 'halted']);
        host.pmap.checkInvariants(host.frames);
        host.shares.checkInvariants();
      } finally {
        for (const m of ms) m.close();
      }
    }, 60_000);
  },
);
