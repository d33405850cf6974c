/*
 * The supplier seam of VmObject (mmu/vm/page-supplier.ts): on a fully backed memory object, a page
 * the supplier calls absent is filled at its first frameAt, whether it has a frame already (a
 * stale copy) or takes a fresh one, and never again; currentFrame asks nothing; detached, frameAt
 * is as before; an overcommitted object or a second supplier is refused.
 */
import { describe, expect, it } from 'vitest';
import type { Hfn } from '../../../mmu/addr.js';
import { FrameAllocator } from '../../../mmu/host/frame-allocator.js';
import { HostMemory } from '../../../mmu/host/host-memory.js';
import { Reservoir } from '../../../mmu/host/reservoir.js';
import type { PageSupplier } from '../../../mmu/vm/page-supplier.js';
import { VmObject } from '../../../mmu/vm/vm-object.js';

const P = 4096;

function ram(pages: number, frames?: number) {
  const mem = new HostMemory(16 * P);
  const o = VmObject.memory(new Reservoir(new FrameAllocator(mem)), pages * P, { frames });
  if (!(o instanceof VmObject)) throw new Error('exhausted');
  return { mem, o };
}

/* A supplier for `absent` pages that writes the page number into the frame's first byte. */
function supplier(mem: HostMemory, absent: number[]) {
  const missing = new Set(absent);
  const calls: [number, Hfn][] = [];
  const s: PageSupplier = {
    absent: (page) => missing.has(page),
    supply: (page, f) => {
      calls.push([page, f]);
      missing.delete(page);
      mem.frameBytes(f)[0] = 0xa0 + page;
    },
  };
  return { s, calls };
}

describe('VmObject page supplier', () => {
  it('fills an absent page at its first need, framed already or not, and only once', () => {
    const { mem, o } = ram(4);
    const stale = o.frameAt(1 * P) as Hfn; // sent once before, dirtied since: a stale copy
    mem.frameBytes(stale)[0] = 0x11;
    const present = o.frameAt(2 * P) as Hfn;
    mem.frameBytes(present)[0] = 0x22;
    const { s, calls } = supplier(mem, [1, 3]);
    o.attachSupplier(s);
    expect(o.currentFrame(1 * P)).toBe(stale); // looking is not needing
    expect(calls).toEqual([]);
    expect(o.frameAt(1 * P + 5)).toBe(stale);
    expect(mem.frameBytes(stale)[0]).toBe(0xa1);
    const fresh = o.frameAt(3 * P) as Hfn;
    expect(calls).toEqual([
      [1, stale],
      [3, fresh],
    ]);
    expect(mem.frameBytes(fresh)[0]).toBe(0xa3);
    expect(o.frameAt(2 * P)).toBe(present);
    expect(mem.frameBytes(present)[0]).toBe(0x22); // a present page is never supplied
    o.frameAt(1 * P);
    o.frameAt(3 * P);
    expect(calls.length).toBe(2);
  });

  it('detached, frameAt asks nothing', () => {
    const { mem, o } = ram(2);
    const { s, calls } = supplier(mem, [0]);
    o.attachSupplier(s);
    o.detachSupplier();
    o.frameAt(0);
    expect(calls).toEqual([]);
  });

  it('refuses a second supplier and an overcommitted object', () => {
    const { mem, o } = ram(2);
    o.attachSupplier(supplier(mem, []).s);
    expect(() => o.attachSupplier(supplier(mem, []).s)).toThrow(/once/);
    const small = ram(4, 2);
    expect(() => small.o.attachSupplier(supplier(small.mem, []).s)).toThrow(/every page backed/);
  });
});
