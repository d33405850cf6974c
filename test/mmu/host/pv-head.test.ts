import { describe, expect, it } from 'vitest';
import { kinds, setup } from './pmap-rig.js';

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
    // the run summary's counter sees both conversions, with or without a sink
    expect(pmap.heads.conversions).toBe(2);
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
