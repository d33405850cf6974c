import { describe, expect, it } from 'vitest';
import { gpa } from '../../../mmu/addr.js';
import type { Hfn } from '../../../mmu/addr.js';
import { EventLog } from '../../../mmu/events.js';
import type { MmuEvent } from '../../../mmu/events.js';
import { FrameAllocator } from '../../../mmu/host/frame-allocator.js';
import { HostMemory } from '../../../mmu/host/host-memory.js';
import { Pmap } from '../../../mmu/host/pmap.js';
import { PinnedSinceRetire } from '../../../mmu/host/pinned-since-retire.js';
import { TablePool } from '../../../mmu/host/table-pool.js';
import { InvariantError } from '../../../mmu/checks.js';
import { FakeOwner } from './fake-owner.js';

function setup(pages: number, reserve = 0) {
  const mem = new HostMemory(pages * 4096);
  const log = new EventLog<MmuEvent>();
  const frames = new FrameAllocator(mem, log);
  const pmap = new Pmap(mem, log);
  const pool = new TablePool(frames, pmap, { reserve, sink: log });
  const owner = new FakeOwner(pmap, pool);
  const check = () => {
    pmap.checkInvariants(frames);
    pool.checkInvariants();
    frames.checkInvariants();
  };
  return { mem, log, frames, pmap, pool, owner, check };
}

describe('TablePool', () => {
  it('alloc sets the descriptor and zeroes; free caches the frame and alloc reuses it', () => {
    const { pmap, pool, owner, mem, frames, check } = setup(8);
    const t = pool.alloc(owner.ownerId, 1, gpa(0x20_0000)) as Hfn;
    expect(t).not.toBe(-1);
    expect(pmap.isTable(t)).toBe(true);
    expect(pmap.descBase(t)).toBe(0x20_0000);
    expect(frames.purpose(t)).toBe('table');
    expect(mem.u32[(t * 4096) >>> 2]).toBe(0);
    check();
    pool.free(t);
    expect(pmap.isTable(t)).toBe(false);
    expect(pool.stats.cached).toBe(1);
    check();
    const u = pool.alloc(owner.ownerId, 2, gpa(0)) as Hfn;
    expect(u).toBe(t);
    expect(pool.stats).toMatchObject({ inUse: 1, cached: 0 });
    check();
  });

  it('fills the reserve up front and falls back on it when the allocator is dry', () => {
    const { pool, owner, frames, check } = setup(4, 2);
    expect(pool.stats.reserve).toBe(2);
    expect(frames.freeCount).toBe(2);
    const got = [0, 1, 2, 3].map(() => pool.alloc(owner.ownerId, 2, gpa(0)));
    expect(got.every((t) => t !== -1)).toBe(true);
    expect(pool.stats.reserve).toBe(0);
    expect(pool.alloc(owner.ownerId, 2, gpa(0))).toBe(-1); // only interior tables: nothing to steal
    expect(pool.stats.stealFailures).toBe(1);
    check();
  });

  it('reap returns cached frames and reserve above target to the allocator', () => {
    const { pool, owner, frames, log, check } = setup(8, 1);
    const ts = [0, 1, 2].map(() => pool.alloc(owner.ownerId, 1, gpa(0)) as Hfn);
    for (const t of ts) pool.free(t);
    expect(pool.stats).toMatchObject({ inUse: 0, reserve: 1, cached: 3 });
    const before = frames.freeCount;
    expect(pool.reap()).toBe(3);
    expect(frames.freeCount).toBe(before + 3);
    expect(log.events.at(-1)).toEqual({ type: 'table-reap', freed: 3 });
    check();
  });

  it('steals the sparsest unpinned leaf table under a tiny memory, unmapping its entries', () => {
    // 6 frames: 1 interior + 3 leaf tables + 2 guest frames.
    const { pmap, pool, owner, frames, log, check } = setup(6);
    const root = pool.alloc(owner.ownerId, 2, gpa(0)) as Hfn;
    const leaves = [0, 1, 2].map((i) => pool.alloc(owner.ownerId, 1, gpa(i * 0x20_0000)) as Hfn);
    leaves.forEach((t, i) => owner.link(root, i, t));
    const g1 = frames.alloc('guest') as Hfn;
    const g2 = frames.alloc('guest') as Hfn;
    expect(frames.freeCount).toBe(0);
    // leaf 0: 3 valid entries; leaf 1: 1 valid entry; leaf 2: 2 valid entries, but pinned.
    for (let i = 0; i < 3; i++) owner.map(owner.pteOf(leaves[0], i), g1);
    owner.map(owner.pteOf(leaves[1], 7), g1);
    owner.map(owner.pteOf(leaves[2], 0), g2);
    owner.map(owner.pteOf(leaves[2], 1), g1);
    pool.pin(leaves[2]);
    check();
    expect(pmap.mappingCount(g1)).toBe(5);

    const t = pool.alloc(owner.ownerId, 1, gpa(0x60_0000)) as Hfn;
    expect(t).toBe(leaves[0]); // pass 1 (threshold 64) finds leaf 0 first from the cursor
    expect(owner.stealCalls).toBe(1);
    expect(pmap.mappingCount(g1)).toBe(2);
    expect(pmap.refcount(root)).toBe(2);
    expect(pmap.descBase(t)).toBe(0x60_0000);
    expect(pool.stats.stolen).toBe(1);
    const steal = log.events.find((e) => e.type === 'table-steal');
    expect(steal).toEqual({ type: 'table-steal', hfn: leaves[0], level: 1, base: 0, cleared: 3 });
    expect(log.events.filter((e) => e.type === 'pv-remove')).toHaveLength(3);
    check();

    // The scan resumes after the last victim's slot; leaf 2 is pinned, so leaf 1 goes next.
    const u = pool.alloc(owner.ownerId, 1, gpa(0x80_0000)) as Hfn;
    expect(u).toBe(leaves[1]);
    expect(pmap.isTable(leaves[2])).toBe(true);
    check();
  });

  it('never steals a leaf table the instruction in flight holds; none left is exhaustion (-1)', () => {
    const mem = new HostMemory(4 * 4096);
    const frames = new FrameAllocator(mem);
    const pmap = new Pmap(mem);
    const inFlight = new PinnedSinceRetire(mem.frameCount);
    const pool = new TablePool(frames, pmap, { reserve: 0, inFlight });
    const owner = new FakeOwner(pmap, pool);
    const [a, b] = [0, 1].map((i) => pool.alloc(owner.ownerId, 1, gpa(i * 0x20_0000)) as Hfn);
    const g = frames.alloc('guest') as Hfn;
    owner.map(owner.pteOf(a, 0), g); // a holds an entry, b none: b is the sparser victim
    frames.alloc('guest');
    expect(frames.freeCount).toBe(0);
    inFlight.atInstruction(1);
    inFlight.pin(b);
    expect(pool.isBusy(b)).toBe(true);
    expect(pool.alloc(owner.ownerId, 1, gpa(0x40_0000))).toBe(a); // b is held: a goes instead
    expect(pmap.mappingCount(g)).toBe(0);
    inFlight.pin(a);
    expect(pool.alloc(owner.ownerId, 1, gpa(0x60_0000))).toBe(-1); // both held: exhausted
    expect(pool.stats.stealFailures).toBe(1);
    inFlight.atInstruction(2); // the instruction retired: its tables may go again
    expect(pool.isBusy(a)).toBe(false);
    expect(pool.alloc(owner.ownerId, 1, gpa(0x60_0000))).not.toBe(-1);
    pool.checkInvariants();
    pmap.checkInvariants(frames);
  });

  it('steals in passes of rising threshold: the sparse table goes before a denser one met first', () => {
    const mem = new HostMemory(4 * 4096);
    const frames = new FrameAllocator(mem);
    const pmap = new Pmap(mem);
    const pool = new TablePool(frames, pmap, { reserve: 0, stealPasses: 64 }); // thresholds 8, 16, 24...
    const owner = new FakeOwner(pmap, pool);
    const dense = pool.alloc(owner.ownerId, 1, gpa(0)) as Hfn;
    const sparse = pool.alloc(owner.ownerId, 1, gpa(0x20_0000)) as Hfn;
    const g = frames.alloc('guest') as Hfn;
    const other = frames.alloc('guest') as Hfn;
    for (let i = 0; i < 12; i++) owner.map(owner.pteOf(dense, i), g); // pass 2 (<= 16)
    for (let i = 0; i < 7; i++) owner.map(owner.pteOf(sparse, i), other); // pass 1 (<= 8)
    expect(frames.freeCount).toBe(0);
    expect(pool.alloc(owner.ownerId, 1, gpa(0x40_0000))).toBe(sparse);
    expect(pmap.mappingCount(g)).toBe(12);
    expect(pmap.mappingCount(other)).toBe(0);
    pool.pin(sparse); // the fresh (empty) table would be the next victim; keep it
    expect(pool.alloc(owner.ownerId, 1, gpa(0x60_0000))).toBe(dense);
    expect(pmap.mappingCount(g)).toBe(0);
    pool.checkInvariants();
    pmap.checkInvariants(frames);
  });

  it('with a pool in place, freeing a mapped frame or a live table frame throws', () => {
    const { pool, owner, frames, check } = setup(4);
    const t = pool.alloc(owner.ownerId, 1, gpa(0)) as Hfn;
    const g = frames.alloc('guest') as Hfn;
    owner.map(owner.pteOf(t, 0), g);
    expect(() => frames.free(g)).toThrow(InvariantError);
    expect(() => frames.free(t)).toThrow(InvariantError);
    owner.unmap(owner.pteOf(t, 0));
    frames.free(g);
    check();
  });

  it('free of a frame not in use throws', () => {
    const { pool, owner } = setup(4);
    const t = pool.alloc(owner.ownerId, 1, gpa(0)) as Hfn;
    pool.free(t);
    expect(() => pool.free(t)).toThrow(InvariantError);
  });
});
