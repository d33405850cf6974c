/*
 * Same-page merging by example, on every format: two VMs whose pages hold the same bytes end up on
 * one shared frame whose PV list names PTEs of both, write withheld in both; a write breaks the
 * share in the writer only; a disconnect of the shared frame clears every VM's PTE and moves every
 * VM's generation; freeing the objects gives every frame back.
 */
import { describe, expect, it } from 'vitest';
import { gpa, type Hfn } from '../../../mmu/addr.js';
import type { FormatName } from '../../../mmu/gpt/entry-format.js';
import { PROT_WRITE } from '../../../mmu/prot.js';
import { hashFrame, sameFrame } from '../../../mmu/vm/merge-scan.js';
import { makeMergeHost, type MergeHost } from './merge-rig.js';

const PAGES = 4;

/* Every VM writes byte (page + 1) over each of its pages, then reads it back (leaves present). */
function fillAll(h: MergeHost): void {
  for (let v = 0; v < h.vms.length; v++)
    for (let p = 0; p < PAGES; p++) {
      h.mem.frameBytes(h.access(v, p, 'write')).fill(p + 1);
      h.access(v, p, 'read');
    }
}

describe.each<FormatName>(['ept', 'npt', 's2'])('merging on %s', (format) => {
  it('shares equal pages across VMs, withholds write everywhere, and a write breaks only its own', () => {
    const h = makeMergeHost(format, 2, PAGES);
    fillAll(h);
    const inUse = h.reservoir.inUse;
    const gens = h.vms.map((v) => v.space.generation);
    expect(h.scanner.pass(2 * PAGES)).toBe(0); // the first look only notes each page's hash
    expect(h.scanner.pass(2 * PAGES)).toBe(2 * PAGES);
    h.check();
    expect(h.shares.counters).toMatchObject({ shared: PAGES, sharing: 2 * PAGES });
    expect(h.shares.framesSaved).toBe(PAGES);
    expect(h.reservoir.inUse).toBe(inUse - PAGES);
    h.vms.forEach((v, i) => expect(v.space.generation).toBeGreaterThan(gens[i]));
    const s = h.vms[0].ram.currentFrame(0) as Hfn;
    expect(h.vms[1].ram.currentFrame(0)).toBe(s);
    expect(h.pmap.headKind(s)).toBe('list');
    const owners = h.pmap.mappings(s).map((pte) => h.vmOfPte(pte));
    expect(owners.sort()).toEqual([0, 1]);
    for (const pte of h.pmap.mappings(s)) {
      const gpt = h.vms[h.vmOfPte(pte)].space.gpt;
      expect(gpt.protAt(pte) & PROT_WRITE).toBe(0);
    }
    // a write in vm1 breaks its share: a copy, its own frame, vm0 keeps the shared one
    const g1 = h.vms[1].space.generation;
    const mine = h.access(1, 0, 'write');
    h.check();
    expect(mine).not.toBe(s);
    expect(h.mem.frameBytes(mine)[4095]).toBe(1);
    expect(h.vms[1].space.generation).toBeGreaterThan(g1);
    expect(h.shares.counters.cowBreaks).toBe(1);
    expect(h.pmap.mappings(s).map((pte) => h.vmOfPte(pte))).toEqual([0]);
    expect(h.pmap.headKind(s)).toBe('single');
    expect(h.vms[0].ram.currentFrame(0)).toBe(s);
  });

  it('a disconnect of a shared frame clears the PTE of every VM and moves every generation', () => {
    const h = makeMergeHost(format, 3, PAGES);
    fillAll(h);
    h.scanner.pass(3 * PAGES);
    h.scanner.pass(3 * PAGES);
    const s = h.vms[2].ram.currentFrame(3 * 4096) as Hfn;
    expect(h.pmap.mappingCount(s)).toBe(3);
    const gens = h.vms.map((v) => v.space.generation);
    expect(h.vms[0].space.disconnectFrame(s)).toBe(3);
    h.check();
    expect(h.pmap.mappingCount(s)).toBe(0);
    h.vms.forEach((v, i) => expect(v.space.generation).toBeGreaterThan(gens[i]));
    // the pages keep the shared frame, and fault it back in read-only
    expect(h.access(1, 3, 'read')).toBe(s);
    expect(h.vms[1].space.gpt.protAt(h.vms[1].space.gpt.leafPte(gpa(3 * 4096)) as never) & PROT_WRITE).toBe(
      0,
    );
  });

  it('merges within one VM, never pages that differ, and frees everything with the objects', () => {
    const h = makeMergeHost(format, 1, PAGES);
    for (let p = 0; p < PAGES; p++) h.mem.frameBytes(h.access(0, p, 'write')).fill(p < 3 ? 7 : 8);
    h.scanner.pass(PAGES);
    h.scanner.pass(PAGES);
    h.check();
    expect(h.shares.counters).toMatchObject({ shared: 1, sharing: 3 });
    expect(h.vms[0].ram.isSharedAt(3 * 4096)).toBe(false);
    h.vms[0].space.destroy();
    h.vms[0].ram.release();
    h.check();
    expect(h.shares.counters).toMatchObject({ shared: 0, sharing: 0 });
    expect(h.reservoir.inUse).toBe(0);
  });

  it('a page written between two looks is not merged until it holds still', () => {
    const h = makeMergeHost(format, 2, 1);
    h.mem.frameBytes(h.access(0, 0, 'write')).fill(5);
    h.mem.frameBytes(h.access(1, 0, 'write')).fill(5);
    h.scanner.pass(2);
    h.mem.frameBytes(h.access(1, 0, 'write')).fill(6); // vm1 changes its page...
    h.mem.frameBytes(h.access(1, 0, 'write')).fill(5); // ...and back: the same bytes, the same hash
    expect(h.scanner.pass(2)).toBe(2);
    h.mem.frameBytes(h.access(0, 0, 'write')).fill(7); // a break, then a change
    h.scanner.pass(2);
    expect(h.shares.counters).toMatchObject({ shared: 1, sharing: 1, cowBreaks: 1 });
    h.check();
  });

  it('hashes pages that differ only in some bits differently (a weak word hash would not)', () => {
    const h = makeMergeHost(format, 1, 1);
    const f = h.access(0, 0, 'write');
    const seen = new Set<number>();
    for (let c = 0; c < 512; c++)
      for (const high of [0, 0x8000_0000, 0x0001_0000]) {
        h.mem.u32.subarray(f * 1024, f * 1024 + 1024).fill(c + high);
        seen.add(hashFrame(h.mem, f));
      }
    expect(seen.size).toBe(3 * 512);
  });

  it('hashes are hints: a full compare decides', () => {
    const h = makeMergeHost(format, 1, 2);
    const a = h.access(0, 0, 'write');
    const b = h.access(0, 1, 'write');
    expect(sameFrame(h.mem, a, b)).toBe(true);
    expect(hashFrame(h.mem, a)).toBe(hashFrame(h.mem, b));
    h.mem.frameBytes(b)[100] = 1;
    expect(sameFrame(h.mem, a, b)).toBe(false);
    expect(hashFrame(h.mem, a)).not.toBe(hashFrame(h.mem, b));
  });
});
