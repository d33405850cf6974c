/*
 * The merge kit and the seam (mmu/vm/merge-kit.ts, page-merger.ts): a merger written on the kit's
 * pieces merges two VMs' equal pages, the vmspace hands a write to a merged page to its writeFault,
 * and the sweeps agree at every step; writeLeaf leaves PV lists alone; a writeFault that breaks its
 * promise is recorded and the fault maps nothing; the sampled hash collides where the full one
 * does not; bad arguments throw plain errors, not invariant breaches.
 */
import { describe, expect, it } from 'vitest';
import { InvariantError } from '../../../mmu/checks.js';
import { MergeKit, type KitMerger } from '../../../mmu/vm/merge-kit.js';
import { gpa } from '../../../mmu/addr.js';
import { makeMergeHost } from './merge-rig.js';

const PAGES = 4;

function rig(hash: 'full' | 'sampled' = 'full') {
  const h = makeMergeHost('ept', 2, PAGES);
  const ranges = h.vms.map((v) => ({ space: v.space, gpa: gpa(0), pages: PAGES }));
  const kit = new MergeKit(ranges, h.shares, h.mem, h.pmap, hash);
  /* page p of VM vm written (through a write fault), then its frame filled with `fill` */
  const write = (vm: number, p: number, fill: (i: number) => number) => {
    const f = h.access(vm, p, 'write');
    const w = h.mem.u32.subarray(f * 1024, f * 1024 + 1024);
    for (let i = 0; i < 1024; i++) w[i] = fill(i);
    return f;
  };
  return { h, kit, write };
}

/* Merging page `gpa` of VM vm onto `shared` in the kit's pieces, as the lab's reference does. */
function remap(kit: MergeKit, vm: number, at: number, shared: number): void {
  const leaf = kit.leaf(vm, at);
  if (leaf !== null) {
    kit.writeLeaf(vm, at, shared, false);
    if (leaf.frame !== shared) {
      kit.pvRemove(leaf.frame, leaf.pte);
      kit.pvEnter(shared, leaf.pte);
    }
  }
  kit.share(vm, at, shared);
}

const copyOnWrite =
  (kit: MergeKit): KitMerger['writeFault'] =>
  (vm, at) => {
    const leaf = kit.leaf(vm, at);
    const own = kit.unshare(vm, at);
    if (leaf !== null && own !== -1) {
      kit.writeLeaf(vm, at, own, true);
      kit.pvRemove(leaf.frame, leaf.pte);
      kit.pvEnter(own, leaf.pte);
    }
  };

describe('merge kit', () => {
  it('a merger on its pieces shares a frame across VMs, and a write copies it back out', () => {
    const { h, kit, write } = rig();
    const a = write(0, 1, (i) => i * 7);
    const b = write(1, 1, (i) => i * 7);
    expect(kit.hash(a)).toBe(kit.hash(b));
    kit.attach({ pass: () => 0, writeFault: copyOnWrite(kit) });
    remap(kit, 0, 0x1000, a); // the keeper
    remap(kit, 1, 0x1000, a);
    h.check();
    expect(h.shares.framesSaved).toBe(1);
    expect(
      h.pmap
        .mappings(a)
        .map((pte) => h.vmOfPte(pte))
        .sort(),
    ).toEqual([0, 1]);
    expect(kit.leaf(1, 0x1000)).toMatchObject({ frame: a, writable: false });
    const own = h.access(1, 1, 'write'); // the vmspace hands the fault to writeFault
    expect(own).not.toBe(a);
    expect(h.mem.u32[own * 1024 + 5]).toBe(35);
    expect(kit.counters.writeFaults).toBe(1);
    expect(h.shares.counters.cowBreaks).toBe(1);
    expect(h.access(0, 1, 'read')).toBe(a);
    h.check();
  });

  it('writeLeaf changes the entry and no PV list', () => {
    const { kit, write } = rig();
    const a = write(0, 2, () => 1);
    const b = write(0, 3, () => 2);
    const leaf = kit.leaf(0, 0x2000)!;
    kit.writeLeaf(0, 0x2000, b, true);
    expect(kit.leaf(0, 0x2000)!.frame).toBe(b);
    expect(kit.pvList(a)).toEqual([leaf.pte]);
    expect(kit.pvList(b)).not.toContain(leaf.pte);
  });

  it('a writeFault that leaves the page shared is recorded, and the fault maps nothing', () => {
    const { h, kit, write } = rig();
    const a = write(0, 1, (i) => i);
    write(1, 1, (i) => i);
    kit.attach({ pass: () => 0, writeFault: () => {} });
    remap(kit, 0, 0x1000, a);
    remap(kit, 1, 0x1000, a);
    expect(h.vms[1].space.fault(gpa(0x1000), 'write').kind).toBe('exhausted');
    expect(kit.problem).toBe('writeFault(1, 0x1000) left the page on a shared frame');
  });

  it("the sampled hash reads a page's first 64 bytes only", () => {
    const full = rig('full');
    const sampled = rig('sampled');
    for (const { kit, write } of [full, sampled]) {
      const a = write(0, 0, (i) => (i < 16 ? i : 1));
      const b = write(1, 0, (i) => (i < 16 ? i : 2));
      expect(kit.hash(a) === kit.hash(b)).toBe(kit.hashKind === 'sampled');
    }
  });

  it('bad arguments throw plain errors that name them', () => {
    const { kit, write } = rig();
    const a = write(0, 0, () => 3);
    const tries: [() => unknown, RegExp][] = [
      [() => kit.hash(1e9), /is not a host frame number/],
      [() => kit.candidate(2, 0), /there is no VM 2/],
      [() => kit.leaf(0, 0x123), /is not a page address of VM 0's RAM/],
      [() => kit.writeLeaf(1, 0x3000, a, true), /has no leaf/],
      [() => kit.pvRemove(a, 8), /is not on frame/],
      [() => kit.share(1, 0x3000, a), /no merge candidate/],
      [() => kit.unshare(0, 0), /is not merged/],
    ];
    for (const [fn, message] of tries) {
      let thrown: unknown;
      try {
        fn();
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(Error);
      expect(thrown).not.toBeInstanceOf(InvariantError);
      expect((thrown as Error).message).toMatch(message);
    }
  });
});
