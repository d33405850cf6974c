/*
 * Reclaim on a host that several merged VMs share: two copies of c-pages (300 pages written, read back) under the merge scanner
 * on a host smaller than both guests' RAM. Each guest reclaims within its share of frames, and
 * prints exactly what it prints alone. Merged frames are evicted too: at each such eviction (the
 * 'evict-shared' event) no GPT of either VM has a leaf that maps the frame, its PV list is empty,
 * and the pmap's own sweep passes; the pages that used it come back from their swap copies.
 * (The per-step full sweeps are off for the run, which is 10 million instructions; the sweeps
 * run at the evictions and at the end.)
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAYOUT } from '../../emulator/arch.js';
import type { MachineEvent } from '../../emulator/events.js';
import { HostRun } from '../../emulator/host-run.js';
import { loadGuest } from '../../emulator/loaders/index.js';
import { Machine } from '../../emulator/machine.js';
import { sharedHost, tableRoomFor } from '../../emulator/nested-host.js';
import { hfn, gpa as toGpa } from '../../mmu/addr.js';
import { fullChecks, setFullChecks } from '../../mmu/checks.js';
import type { EventSink } from '../../mmu/events.js';

const root = join(import.meta.dirname, '../..');
const MEM = 4 * 1024 * 1024;
/* guest frames per VM: fewer than c-hello touches, so both guests evict (merged frames too) */
const FRAMES = 160;
const HOST = 2 * (tableRoomFor(MEM) + FRAMES * 4096);

/* Every leaf of machine m's GPT over guest RAM that maps host frame f. */
function leavesMapping(m: Machine, base: number, f: number): number {
  const gpt = m.vm!.vmspace.gpt;
  const it = gpt.iterate(toGpa(base), MEM);
  let n = 0;
  while (it.next()) if (gpt.lookup(toGpa(it.gpa))?.frame === f) n++;
  return n;
}

describe('two merged guests on an overcommitted host', () => {
  /* 10 million instructions: the sweeps run where this test asks for them, not after every step */
  const was = fullChecks();
  beforeAll(() => setFullChecks(false));
  afterAll(() => setFullChecks(was));

  it('print what each prints alone, and a shared frame evicted leaves no PTE in any GPT', async () => {
    const img = await loadGuest(join(root, 'guests/x86_64/c-pages/c-pages.elf'), { memBytes: MEM });
    const alone = new Machine(img, { memBytes: MEM });
    expect(alone.run().code).toBe(0);
    const expected = alone.console;
    alone.close();
    const checked: { gpa: number; ptes: number; vms: number[]; left: number }[] = [];
    const machines: Machine[] = [];
    const sink: EventSink<MachineEvent> = {
      enabled: true,
      emit(e) {
        if (e.type !== 'evict-shared' || checked.length >= 6) return;
        const left = machines.reduce((n, m) => n + leavesMapping(m, LAYOUT.x86_64.ramBase, e.hfn), 0);
        host.pmap.checkInvariants(host.frames); // the pmap's own sweep: PV lists agree with every PTE
        checked.push({
          gpa: e.gpa,
          ptes: e.ptes,
          vms: e.vms,
          left: left + host.pmap.mappingCount(hfn(e.hfn)),
        });
      },
    };
    const host = sharedHost(2, MEM, { hostBytes: HOST, sink });
    expect(host.guestFrames).toBe(FRAMES);
    try {
      for (let i = 0; i < 2; i++) machines.push(new Machine(img, { memBytes: MEM, host, sink }));
      const run = new HostRun(host, machines, { interval: 20_000, pages: 1024 }, sink);
      while (!run.done) run.slice();
      expect(machines.map((m) => m.console)).toEqual([expected, expected]);
      expect(run.stops.map((s) => s!.code)).toEqual([0, 0]);
      for (const m of machines) expect(m.vm!.reclaimer.counters.evictions).toBeGreaterThan(0);
      expect(checked.length).toBeGreaterThan(0);
      expect(checked.every((c) => c.left === 0)).toBe(true);
      expect(checked.every((c) => c.gpa >= LAYOUT.x86_64.ramBase)).toBe(true); // the keeper's page
      expect(checked.some((c) => new Set(c.vms).size === 2)).toBe(true); // a frame both VMs used
      host.shares.checkInvariants();
      for (const m of machines) m.vm!.reclaimer.checkInvariants();
    } finally {
      for (const m of machines) m.close();
    }
  });
});
