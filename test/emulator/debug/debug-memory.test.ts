/*
 * The one side-effect-free reader of guest memory (emulator/debug/debug-memory.ts) on an
 * overcommitted host: a swapped-out page reads as its swap copy without coming back in, a guest
 * table page that was swapped out is walked from the store, an untouched page reads as zeros and
 * takes no frame, and nothing (frames, counters, the GPT, holds, swap state) moves. A debugger's
 * write to a swapped-out or untouched page brings it in through the object's demand path, and the
 * write survives the page's next eviction (it is swapped out, not dropped as clean).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { tableRoomFor } from '../../../emulator/nested-vm.js';
import type { Machine } from '../../../emulator/machine.js';
import { gpa, gva, hfn, PAGE_SIZE } from '../../../mmu/addr.js';
import { nestedRanges } from '../../../mmu/gpt/gpt-ranges.js';
import { closeAll, loadGuestFile, machine, MEM } from '../nested/nested-harness.js';

afterEach(closeAll);

const GUEST_FRAMES = 32;
const HOST = tableRoomFor(MEM) + GUEST_FRAMES * PAGE_SIZE;
const BUFFER = 0x40_0000; // pattern.s
const PML4 = 0x30_0000;
const UNTOUCHED = 0xc0_0000; // inside guest RAM (16 MiB), far past the buffer: never touched

/* pattern.s with its own paging on (identity map, so gva = gpa), run to its end on a squeezed host. */
async function squeezed(): Promise<Machine> {
  const m = machine(await loadGuestFile('x86_64', 'pattern.s', { PAGES: 96, PAGING: 1 }), {
    hostBytes: HOST,
    reclaim: 'fifo',
  });
  expect(m.run().reason).toBe('halt');
  return m;
}

/* Everything a read must leave as it was. */
function outside(m: Machine) {
  const vm = m.vm!;
  return {
    swapped: Array.from(vm.ramSwapped()),
    frames: vm.ram.frameList(),
    reclaim: { ...vm.reclaimer.counters },
    store: { reads: vm.reclaimer.store.reads, writes: vm.reclaimer.store.writes },
    nested: nestedRanges(vm.vmspace.gpt).map((r) => [r.gpa, r.len, r.bits]),
    holds: vm.vmspace.clients().map((c) => c.holds().length),
    inUse: vm.hostFrames().inUse,
  };
}

const pageIndex = (g: number) => (g - 0) / PAGE_SIZE; // x86-64 guest RAM starts at gpa 0
const evictPage = (m: Machine, g: number) => {
  const f = m.vm!.ram.currentFrame(g);
  expect(f).not.toBe(-1);
  m.vm!.reclaimer.evict(hfn(f as number));
  expect(m.vm!.ramSwapped()[pageIndex(g)]).toBe(1);
};

describe('the debugger reader under overcommit', () => {
  it('reads swapped-out pages (data and guest tables) from the store, untouched ones as zeros', async () => {
    const m = await squeezed();
    const mem = m.debug.memory!;
    const vm = m.vm!;
    // a resident buffer page's bytes, then the same page swapped out, and the PML4 page too
    const resident = Array.from({ length: 96 }, (_, i) => BUFFER + i * PAGE_SIZE).find(
      (g) => vm.ram.currentFrame(g) !== -1,
    )!;
    const before = mem.readSpace('gva', resident, PAGE_SIZE).bytes.slice();
    expect(before.some((b) => b !== 0)).toBe(true);
    evictPage(m, resident);
    if (vm.ram.currentFrame(PML4) !== -1) evictPage(m, PML4);
    const still = outside(m);

    const r = mem.readSpace('gva', resident, PAGE_SIZE);
    expect(r.stop).toBeNull();
    expect(r.bytes).toEqual(before);
    expect(r.pieces).toEqual([{ addr: resident, len: PAGE_SIZE, gpa: resident, hpa: null, swapped: true }]);
    expect(mem.gvaToGpa(gva(resident))).toBe(resident); // walked through the swapped-out PML4

    const z = mem.readSpace('gva', UNTOUCHED, 64);
    expect(z.bytes).toEqual(new Uint8Array(64));
    expect(z.pieces[0]).toMatchObject({ hpa: null, swapped: false });
    expect(mem.source(gpa(UNTOUCHED))).toEqual({ kind: 'zero' });
    expect(mem.read(resident + 8, 8)).toEqual(before.subarray(8, 16));
    expect(outside(m)).toEqual(still);
  });

  it('a write to a swapped-out page swaps it in, and its next eviction keeps the write', async () => {
    const m = await squeezed();
    const vm = m.vm!;
    const page = BUFFER + 5 * PAGE_SIZE;
    if (vm.ram.currentFrame(page) !== -1) evictPage(m, page);
    const old = m.debug.memory!.readSpace('gpa', page, PAGE_SIZE).bytes.slice();
    const swapIns = vm.reclaimer.counters.swapIns;
    const patch = Uint8Array.of(0xde, 0xad, 0xbe, 0xef);

    expect(m.debug.write(page + 16, patch)).toBe(true);
    expect(vm.ramSwapped()[pageIndex(page)]).toBe(0);
    expect(vm.reclaimer.counters.swapIns).toBe(swapIns + 1);
    expect(vm.vmspace.gpt.lookup(gpa(page))).toBeNull(); // no nested leaf: the guest still faults it in
    const want = old.slice();
    want.set(patch, 16);
    expect(m.debug.memory!.readSpace('gpa', page, PAGE_SIZE).bytes).toEqual(want);

    const outs = vm.reclaimer.counters.swapOuts;
    evictPage(m, page); // the swap copy is stale now: a swap-out, not a clean drop
    expect(vm.reclaimer.counters.swapOuts).toBe(outs + 1);
    expect(m.debug.memory!.readSpace('gpa', page, PAGE_SIZE).bytes).toEqual(want);
  });

  it('a write to an untouched page gives it a frame holding the write and zeros', async () => {
    const m = await squeezed();
    const vm = m.vm!;
    expect(vm.ram.currentFrame(UNTOUCHED)).toBe(-1);
    expect(m.debug.write(UNTOUCHED + 1, Uint8Array.of(7))).toBe(true);
    expect(vm.ram.currentFrame(UNTOUCHED)).not.toBe(-1);
    expect(m.debug.memory!.source(gpa(UNTOUCHED))?.kind).toBe('frame');
    expect(Array.from(m.debug.memory!.readSpace('gva', UNTOUCHED, 4).bytes)).toEqual([0, 7, 0, 0]);
    // not guest RAM: refused before anything is written
    expect(m.debug.write(MEM - 2, Uint8Array.of(1, 2, 3, 4))).toBe(false);
    expect(m.debug.memory!.readSpace('gpa', MEM - 2, 2).bytes).toEqual(new Uint8Array(2));
  });
});
