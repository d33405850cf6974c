import { describe, expect, it } from 'vitest';
import { gpa, hfn } from '../../../mmu/addr.js';
import type { Hfn } from '../../../mmu/addr.js';
import { EventLog } from '../../../mmu/events.js';
import type { MmuEvent } from '../../../mmu/events.js';
import { FrameAllocator } from '../../../mmu/host/frame-allocator.js';
import { HostMemory } from '../../../mmu/host/host-memory.js';
import { Pmap } from '../../../mmu/host/pmap.js';
import { InvariantError } from '../../../mmu/checks.js';
import { FakeOwner } from './fake-owner.js';

/* A pmap with one owner and one leaf table at frame T; guest frames G, H. */
function setup() {
  const mem = new HostMemory(64 * 4096);
  const log = new EventLog<MmuEvent>();
  const frames = new FrameAllocator(mem);
  const pmap = new Pmap(mem, log, { pv: { batch: 4, lowWater: 4, initialCapacity: 8 } });
  const owner = new FakeOwner(pmap);
  const T = frames.alloc('table') as Hfn;
  pmap.setDescriptor(T, owner.ownerId, 1, gpa(0));
  const G = frames.alloc('guest') as Hfn;
  const H = frames.alloc('guest') as Hfn;
  const pte = (i: number) => owner.pteOf(T, i);
  const check = () => pmap.checkInvariants(frames);
  return { mem, log, frames, pmap, owner, T, G, H, pte, check };
}

const kinds = (log: EventLog<MmuEvent>, type: MmuEvent['type']) => log.events.filter((e) => e.type === type);

describe('PV head conversions', () => {
  it('first mapping stores a single PTE in the head', () => {
    const { pmap, owner, G, pte, log, check } = setup();
    owner.map(pte(0), G);
    expect(pmap.headKind(G)).toBe('single');
    expect(pmap.mappingCount(G)).toBe(1);
    expect(pmap.mappings(G)).toEqual([pte(0)]);
    expect(kinds(log, 'pv-enter')).toEqual([{ type: 'pv-enter', hfn: G, pte: pte(0), head: 'single' }]);
    check();
  });

  it('one frame mapped at two PTE locations is a list of 2; disconnect leaves it empty', () => {
    const { pmap, owner, G, pte, log, check, mem } = setup();
    owner.map(pte(3), G);
    owner.map(pte(9), G);
    expect(pmap.headKind(G)).toBe('list');
    expect(pmap.mappingCount(G)).toBe(2);
    expect(new Set(pmap.mappings(G))).toEqual(new Set([pte(3), pte(9)]));
    expect(kinds(log, 'pv-convert')).toEqual([{ type: 'pv-convert', hfn: G, from: 'single', to: 'list' }]);
    check();
    const seen: number[] = [];
    expect(pmap.disconnect(G, (p) => seen.push(p))).toBe(2);
    expect(new Set(seen)).toEqual(new Set([pte(3), pte(9)]));
    expect(pmap.headKind(G)).toBe('empty');
    expect(pmap.mappingCount(G)).toBe(0);
    expect(mem.u32[pte(3) >>> 2]).toBe(0);
    expect(mem.u32[pte(9) >>> 2]).toBe(0);
    expect(kinds(log, 'disconnect')).toEqual([{ type: 'disconnect', hfn: G, cleared: 2 }]);
    expect(kinds(log, 'pv-remove')).toHaveLength(2);
    check();
  });

  it('removing the only mapping empties the head', () => {
    const { pmap, owner, G, pte, check } = setup();
    owner.map(pte(0), G);
    owner.unmap(pte(0));
    expect(pmap.headKind(G)).toBe('empty');
    expect(pmap.pool.inUse).toBe(0);
    check();
  });

  it('list fills the first entry, then pushes new entries at the front', () => {
    const { pmap, owner, G, pte, check } = setup();
    for (let i = 0; i < 5; i++) owner.map(pte(i), G);
    expect(pmap.mappingCount(G)).toBe(5);
    expect(pmap.pool.inUse).toBe(3); // [4,_] -> [2,3] -> [0,1]
    check();
  });

  it('removal that leaves one mapping collapses the list back to single', () => {
    const { pmap, owner, G, pte, log, check } = setup();
    owner.map(pte(0), G);
    owner.map(pte(1), G);
    owner.unmap(pte(0));
    expect(pmap.headKind(G)).toBe('single');
    expect(pmap.mappings(G)).toEqual([pte(1)]);
    expect(pmap.pool.inUse).toBe(0);
    expect(kinds(log, 'pv-convert').at(-1)).toEqual({
      type: 'pv-convert',
      hfn: G,
      from: 'list',
      to: 'single',
    });
    check();
  });

  it('an entry emptied at the front is unlinked and freed', () => {
    const { pmap, owner, G, pte, check } = setup();
    for (let i = 0; i < 3; i++) owner.map(pte(i), G); // [2,_] -> [0,1]
    owner.unmap(pte(2));
    expect(pmap.headKind(G)).toBe('list');
    expect(pmap.mappingCount(G)).toBe(2);
    expect(pmap.pool.inUse).toBe(1);
    check();
  });

  it('a half-full entry further down coalesces into the first entry when it has room', () => {
    const { pmap, owner, G, pte, check } = setup();
    for (let i = 0; i < 3; i++) owner.map(pte(i), G); // first [2,_], then [0,1]
    owner.unmap(pte(0)); // [0,1] -> [_,1], coalesces into [2,1]
    expect(pmap.pool.inUse).toBe(1);
    expect(new Set(pmap.mappings(G))).toEqual(new Set([pte(1), pte(2)]));
    check();
  });

  it('a half-full entry further down moves to the front when the first entry is full', () => {
    const { pmap, owner, G, pte, check } = setup();
    for (let i = 0; i < 4; i++) owner.map(pte(i), G); // [2,3] -> [0,1]
    owner.unmap(pte(0)); // [0,1] -> [_,1] moves to the front: [_,1] -> [2,3]
    expect(pmap.pool.inUse).toBe(2);
    expect(pmap.mappingCount(G)).toBe(3);
    check();
    owner.map(pte(7), G); // fills the hole in the (moved) first entry
    expect(pmap.pool.inUse).toBe(2);
    check();
  });

  it('first-but-not-last entry going half full stays where it is', () => {
    const { pmap, owner, G, pte, check } = setup();
    for (let i = 0; i < 4; i++) owner.map(pte(i), G); // [2,3] -> [0,1]
    owner.unmap(pte(3));
    expect(pmap.pool.inUse).toBe(2);
    expect(pmap.headKind(G)).toBe('list');
    check();
  });
});

describe('pmap always-on checks', () => {
  it('refuses a duplicate leaf, a missing removal and a leaf outside a table', () => {
    const { pmap, owner, G, H, pte, T } = setup();
    owner.map(pte(0), G);
    expect(() => pmap.installLeaf(pte(0), 1, 0, H)).toThrow(InvariantError);
    expect(() => pmap.clearLeaf(pte(1), G)).toThrow(InvariantError);
    owner.map(pte(1), H);
    expect(() => pmap.clearLeaf(pte(1), G)).toThrow(InvariantError); // wrong frame: not on G's list
    expect(() => pmap.installLeaf(owner.pteOf(G, 0), 1, 0, H)).toThrow(InvariantError);
    expect(() => pmap.installLeaf(pte(5), 1, 0, T)).toThrow(InvariantError); // leaf onto a table frame
  });

  it('refcount underflow and clearing a referenced or non-empty descriptor throw', () => {
    const { pmap, owner, G, T, pte } = setup();
    expect(() => pmap.adjustRefcount(T, -1)).toThrow(InvariantError);
    expect(pmap.adjustRefcount(T, 2)).toBe(2);
    expect(() => pmap.clearDescriptor(T)).toThrow(InvariantError);
    pmap.adjustRefcount(T, -2);
    owner.map(pte(0), G);
    expect(() => pmap.clearDescriptor(T)).toThrow(InvariantError);
    owner.unmap(pte(0));
    pmap.clearDescriptor(T);
    expect(pmap.isTable(T)).toBe(false);
  });

  it('a mapped frame cannot become a table', () => {
    const { pmap, owner, G, pte } = setup();
    owner.map(pte(0), G);
    expect(() => pmap.setDescriptor(G, owner.ownerId, 1, gpa(0))).toThrow(InvariantError);
  });
});

describe('descriptors, ledger, attributes, unmanaged frames', () => {
  it('tracks owner, level, base, refcount and the ledger', () => {
    const { pmap, owner, frames, G, T, pte, check } = setup();
    const U = frames.alloc('table') as Hfn;
    pmap.setDescriptor(U, owner.ownerId, 2, gpa(0x4000_0000));
    expect([pmap.descOwner(U), pmap.descLevel(U), pmap.descBase(U), pmap.refcount(U)]).toEqual([
      owner.ownerId,
      2,
      0x4000_0000,
      0,
    ]);
    expect(pmap.headKind(U)).toBe('table');
    expect(pmap.tableFrames(owner.ownerId)).toBe(2);
    owner.map(pte(0), G);
    owner.map(pte(1), G);
    expect(pmap.mappedEntries(owner.ownerId)).toBe(2);
    expect(pmap.leafCount(T)).toBe(2);
    owner.link(U, 0, T);
    expect(pmap.refcount(U)).toBe(1);
    expect(pmap.pointerCount(U)).toBe(1);
    check();
    expect(() => pmap.unregisterOwner(owner.ownerId)).toThrow(InvariantError);
  });

  it('merges A/D of a cleared leaf into the frame attributes', () => {
    const { pmap, owner, G, pte } = setup();
    owner.map(pte(0), G);
    pmap.clearLeaf(pte(0), G, 3);
    owner.leaves.delete(pte(0));
    expect(pmap.isReferenced(G) && pmap.isModified(G)).toBe(true);
    pmap.clearAttributes(G);
    expect(pmap.attributes(G)).toBe(0);
  });

  it('leaves mapping device frames above host RAM keep no PV head', () => {
    const { pmap, owner, pte, check } = setup();
    const dev = hfn(0x9000);
    owner.map(pte(0), dev);
    expect(pmap.unmanagedLeaves).toBe(1);
    expect(pmap.headKind(dev)).toBe('empty');
    check();
    owner.unmap(pte(0));
    expect(pmap.unmanagedLeaves).toBe(0);
    check();
  });
});
