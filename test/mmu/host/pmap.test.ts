import { describe, expect, it } from 'vitest';
import { gpa, hfn } from '../../../mmu/addr.js';
import type { Hfn } from '../../../mmu/addr.js';
import { InvariantError } from '../../../mmu/checks.js';
import { HostMemory } from '../../../mmu/host/host-memory.js';
import { Pmap } from '../../../mmu/host/pmap.js';
import { FakeOwner } from './fake-owner.js';
import { setup } from './pmap-rig.js';

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

describe('entry writes and owners', () => {
  it('updateLeaf rewrites a leaf in place without touching PV; pointers install and clear', () => {
    const { pmap, owner, mem, G, T, pte, frames, check } = setup();
    owner.map(pte(4), G);
    pmap.updateLeaf(pte(4), 0xabc1, 7);
    expect([mem.u32[pte(4) >>> 2], mem.u32[(pte(4) >>> 2) + 1]]).toEqual([0xabc1, 7]);
    expect(pmap.mappings(G)).toEqual([pte(4)]);
    expect(() => pmap.updateLeaf(pte(5), 1, 0)).toThrow(InvariantError);
    expect(() => pmap.installTable(pte(4), 7, 0)).toThrow(InvariantError);
    pmap.installTable(pte(6), 0x5007, 0);
    expect(pmap.isTableInstalled(pte(6)) && !pmap.isLeafInstalled(pte(6))).toBe(true);
    expect(() => pmap.installLeaf(pte(6), 1, 0, G)).toThrow(InvariantError);
    check();
    pmap.clearTable(pte(6));
    expect(mem.u32[pte(6) >>> 2]).toBe(0);
    expect(() => pmap.clearTable(pte(6))).toThrow(InvariantError);
    owner.unmap(pte(4));
    pmap.clearDescriptor(T);
    frames.free(T);
    pmap.unregisterOwner(owner.ownerId);
    expect(pmap.isOwner(owner.ownerId)).toBe(false);
    check();
  });

  it('builds no event object while the sink is disabled', () => {
    const mem = new HostMemory(8 * 4096);
    const sink = {
      enabled: false,
      emit(): void {
        throw new Error('event built while disabled');
      },
    };
    const pmap = new Pmap(mem, sink, { pv: { batch: 2, lowWater: 0 } });
    const owner = new FakeOwner(pmap);
    pmap.setDescriptor(hfn(0), owner.ownerId, 1, gpa(0));
    for (let i = 0; i < 6; i++) owner.map(owner.pteOf(0, i), 3);
    for (let i = 0; i < 3; i++) owner.unmap(owner.pteOf(0, i));
    expect(pmap.disconnect(hfn(3))).toBe(3);
  });
});
