/*
 * Overcommit and reclaim end to end: guest memory content is exact across swap.
 *
 * The pattern guest (guests/<arch>/pattern.s) writes an address pattern over four times as many
 * pages as the host has frames for guest RAM, then verifies every word. It runs under each policy,
 * on both architectures and every entry format, with the guest's own paging off and on, and its
 * console must be exactly the unsqueezed run's, with evictions and swap-ins above zero and the
 * counters adding up. The reclaim model itself is property-tested in test/mmu/vm/.
 * Also here: the script hook end to end, the trace events, and determinism of the seeded policy.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Arch } from '../../../emulator/arch.js';
import { tableRoomFor } from '../../../emulator/nested-vm.js';
import { EventLog } from '../../../mmu/events.js';
import type { ReclaimCandidate } from '../../../mmu/host/replacement-policy.js';
import { POLICY_NAMES } from '../../../mmu/host/replacement-policy.js';
import type { MachineEvent } from '../../../emulator/events.js';
import { ARCHES, FORMATS, MEM, closeAll, loadGuestFile, machine } from './nested-harness.js';

const GUEST_FRAMES = 32; // a small host keeps 36 runs quick; 4x is what matters
const HOST = tableRoomFor(MEM) + GUEST_FRAMES * 4096;
const PAGES = 4 * GUEST_FRAMES;

afterEach(closeAll);

const pattern = (arch: Arch, paging: number, pages = PAGES) =>
  loadGuestFile(arch, 'pattern.s', { PAGES: pages, PAGING: paging });
const SMALL = 3 * GUEST_FRAMES; // the outside-view tests: overcommitted, and short

const plainConsole = new Map<string, string>();
async function unsqueezed(arch: Arch, paging: number, pages = PAGES): Promise<string> {
  const key = `${arch}/${paging}/${pages}`;
  if (!plainConsole.has(key)) {
    const m = machine(await pattern(arch, paging, pages));
    m.run();
    expect(m.stats()!.reclaim.evictions).toBe(0);
    plainConsole.set(key, m.console);
  }
  return plainConsole.get(key)!;
}

describe(`pattern over ${PAGES} pages with ${GUEST_FRAMES} guest frames (4x overcommit)`, () => {
  for (const arch of ARCHES)
    for (const format of FORMATS)
      for (const paging of [0, 1])
        it.each(POLICY_NAMES)(
          `${arch} ${format} guest paging ${paging ? 'on' : 'off'}: %s`,
          async (policy) => {
            const want = await unsqueezed(arch, paging);
            expect(want).toMatch(/verified, sum 0x[0-9a-f]+\n$/);
            const m = machine(await pattern(arch, paging), { format, hostBytes: HOST, reclaim: policy });
            const stop = m.run();
            expect(stop.reason === 'halt' || stop.reason === 'exit').toBe(true);
            expect(m.console).toBe(want);
            const r = m.stats()!.reclaim;
            expect(r.policy).toBe(policy);
            expect(r.evictions).toBeGreaterThan(0);
            expect(r.swapIns).toBeGreaterThan(0);
            expect(r.evictions).toBe(r.swapOuts + r.cleanDrops);
            // every page but those resident at the end went out and came back at least once
            expect(r.swapIns).toBeGreaterThanOrEqual(PAGES - GUEST_FRAMES);
            expect(r.framesInUse).toBeLessThanOrEqual(r.framesTotal);
            expect(r.framesTotal).toBe(HOST / 4096);
          },
        );
});

describe('reclaim seen from outside', () => {
  it('traces evict, swap-out and swap-in, the same events for the same seed', async () => {
    const img = await pattern('x86_64', 0, SMALL);
    const events = (): MachineEvent[] => {
      const log = new EventLog<MachineEvent>();
      const m = machine(img, { hostBytes: HOST, reclaim: 'random', seed: 7, sink: log });
      m.run();
      return log.events.filter((e) => e.type === 'evict' || e.type === 'swap-out' || e.type === 'swap-in');
    };
    const a = events();
    const kinds = new Set(a.map((e) => e.type));
    expect([...kinds].sort()).toEqual(['evict', 'swap-in', 'swap-out']);
    const evict = a.find((e) => e.type === 'evict')!;
    expect(evict).toMatchObject({ object: 'ram', policy: 'random' });
    expect(JSON.stringify(events())).toBe(JSON.stringify(a));
  });

  it('a script policy gets the candidates with Accessed and Dirty, and its choice is evicted', async () => {
    const img = await pattern('arm64', 0, SMALL);
    let calls = 0;
    let sawDirty = false;
    const hook = (cands: readonly ReclaimCandidate[]) => {
      calls++;
      if (cands.some((c) => c.dirty)) sawDirty = true;
      expect(cands.every((c) => c.object === 'ram' && c.page >= 0)).toBe(true);
      return cands.length - 1; // the newest: the worst choice there is, and still correct
    };
    const m = machine(img, { hostBytes: HOST, reclaimHook: hook });
    m.run();
    expect(m.console).toBe(await unsqueezed('arm64', 0, SMALL));
    const r = m.stats()!.reclaim;
    expect(r.policy).toBe('script');
    expect(calls).toBe(r.evictions);
    expect(sawDirty).toBe(true);
  });

  it('a hook that decides write-back: a clean page written is counted, a dirty page dropped is lost', async () => {
    const img = await pattern('x86_64', 0, SMALL);
    const always = (writeBack: boolean) => {
      const m = machine(img, { hostBytes: HOST, reclaimHook: () => ({ victim: 0, writeBack }) });
      m.run();
      return { console: m.console, rc: m.vm!.reclaimer };
    };
    const writes = always(true);
    expect(writes.console).toBe(await unsqueezed('x86_64', 0, SMALL));
    expect(writes.rc.overrides.cleanWriteBacks).toBeGreaterThan(0);
    expect(writes.rc.counters.cleanDrops).toBe(0);
    expect(writes.rc.store.writes).toBe(writes.rc.counters.swapOuts);
    const drops = always(false);
    expect(drops.console).not.toBe(await unsqueezed('x86_64', 0, SMALL)); // lost code or data
    expect(drops.rc.overrides.dirtyDrops).toBeGreaterThan(0);
    expect(drops.rc.counters.swapOuts).toBe(0);
  });

  it('a hook that answers nonsense is an error, not a wrong eviction', async () => {
    const img = await pattern('x86_64', 0, SMALL);
    const m = machine(img, { hostBytes: HOST, reclaimHook: () => -1 });
    expect(() => m.run()).toThrow(/reclaim hook answered -1/);
  });
});
