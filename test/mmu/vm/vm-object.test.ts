/*
 * VmObject: reservoir memory (reserved all or nothing, each page's frame taken on demand), MMIO
 * apertures, frame lookup by offset, reference counting and freeing.
 */
import { describe, expect, it } from 'vitest';
import type { Hfn } from '../../../mmu/addr.js';
import { hpa } from '../../../mmu/addr.js';
import { EventLog } from '../../../mmu/events.js';
import type { MmuEvent } from '../../../mmu/events.js';
import { FrameAllocator } from '../../../mmu/host/frame-allocator.js';
import { HostMemory } from '../../../mmu/host/host-memory.js';
import { ATTR_MODIFIED, ATTR_REFERENCED } from '../../../mmu/host/page-attributes.js';
import { Pmap } from '../../../mmu/host/pmap.js';
import { Reservoir } from '../../../mmu/host/reservoir.js';
import { VmObject } from '../../../mmu/vm/vm-object.js';

const P = 4096;

const host = (frames = 16) => {
  const mem = new HostMemory(frames * P);
  const alloc = new FrameAllocator(mem);
  return { mem, alloc, reservoir: new Reservoir(alloc), pmap: new Pmap(mem) };
};

describe('VmObject', () => {
  it('memory: reserves every page at once, gives a page its frame when first asked, looks frames up by offset', () => {
    const h = host();
    const o = VmObject.memory(h.reservoir, 3 * P, { name: 'ram' });
    if (!(o instanceof VmObject)) throw new Error('exhausted');
    expect(o.kind).toBe('mem');
    expect(o.memType).toBe('wb');
    expect(o.pages).toBe(3);
    expect(o.refcount).toBe(1);
    expect(o.apertureBase).toBe(-1);
    expect(h.reservoir.reservedCount).toBe(3);
    expect(o.frameList()).toEqual([-1, -1, -1]);
    expect(o.backedPages).toBe(0);
    expect(o.currentFrame(P)).toBe(-1);
    const f1 = o.frameAt(P + 17);
    expect(f1).not.toBe(-1);
    expect(o.currentFrame(P)).toBe(f1);
    expect(o.frameAt(2 * P - 1)).toBe(f1); // the same page keeps its frame
    expect(o.frameList()).toEqual([-1, f1, -1]);
    expect(h.reservoir.inUse).toBe(1);
    const f0 = o.frameAt(0);
    const f2 = o.frameAt(3 * P - 1);
    expect(new Set([f0, f1, f2]).size).toBe(3);
    expect(o.backedPages).toBe(3);
    expect(() => o.frameAt(3 * P)).toThrow(/outside/);
    expect(() => o.frameAt(-1)).toThrow(/outside/);
    expect(() => o.currentFrame(3 * P)).toThrow(/outside/);
    h.reservoir.checkInvariants();
  });

  it('memory: a page first asked for gets a zeroed frame, whatever an earlier owner left there', () => {
    const h = host(4);
    const a = VmObject.memory(h.reservoir, 4 * P) as VmObject;
    for (let i = 0; i < 4; i++) h.mem.frameBytes(a.frameAt(i * P) as Hfn).fill(0x5a);
    expect(a.release()).toBe(true);
    const b = VmObject.memory(h.reservoir, 4 * P) as VmObject;
    for (let i = 0; i < 4; i++) expect(h.mem.isZero(b.frameAt(i * P) as Hfn)).toBe(true);
  });

  it('memory: too little in the reservoir is a value and takes nothing', () => {
    const h = host(4);
    expect(VmObject.memory(h.reservoir, 5 * P)).toEqual({ kind: 'exhausted', wanted: 5, free: 4 });
    expect(h.alloc.freeCount).toBe(4);
    expect(() => VmObject.memory(h.reservoir, 100)).toThrow(/multiple of PAGE_SIZE/);
  });

  it('is freed by the last release: frames go back, attributes are wiped, an event says so', () => {
    const h = host();
    const log = new EventLog<MmuEvent>();
    const o = VmObject.memory(h.reservoir, 2 * P, { name: 'ram', pmap: h.pmap, sink: log }) as VmObject;
    const f = o.frameAt(P) as Hfn;
    h.pmap.setAttributes(f, ATTR_MODIFIED | ATTR_REFERENCED);
    o.reference();
    expect(o.release()).toBe(false);
    expect(h.reservoir.reservedCount).toBe(2);
    expect(o.release()).toBe(true);
    expect(o.isFreed).toBe(true);
    expect(h.reservoir.reservedCount).toBe(0);
    expect(h.alloc.freeCount).toBe(16);
    expect(h.pmap.attributes(f)).toBe(0);
    expect(log.events).toEqual([{ type: 'object-free', object: 'ram', pages: 2 }]);
    expect(() => o.release()).toThrow(/released more often/);
    expect(() => o.reference()).toThrow(/freed/);
    expect(() => o.frameAt(0)).toThrow(/freed/);
  });

  it('mmio: pages are aperture frames, uncached, nothing reserved', () => {
    const h = host();
    const o = VmObject.mmio(hpa(h.mem.bytes + 2 * P), 2 * P, { name: 'uart' });
    expect(o.kind).toBe('mmio');
    expect(o.isMmio).toBe(true);
    expect(o.memType).toBe('uc');
    expect(o.apertureBase).toBe(h.mem.bytes + 2 * P);
    expect(o.frameAt(0)).toBe(h.mem.frameCount + 2);
    expect(o.frameAt(P + 8)).toBe(h.mem.frameCount + 3);
    expect(o.release()).toBe(true);
    expect(h.reservoir.reservedCount).toBe(0);
    expect(() => VmObject.mmio(hpa(0x1001), P)).toThrow(/page-aligned/);
  });

  it('default names say where the object lives (deterministic, no global counter)', () => {
    const h = host();
    const a = VmObject.memory(h.reservoir, P) as VmObject;
    const b = VmObject.mmio(hpa(h.mem.bytes), P);
    const home = a.frameAt(0); // a fresh allocator: the frame set aside first is frame 0
    expect(a.name).toBe('mem@f0');
    expect(home).toBe(0);
    expect(b.name).toBe(`mmio@0x${h.mem.bytes.toString(16)}`);
    expect(VmObject.mmio(hpa(h.mem.bytes), P, { name: 'uart' }).name).toBe('uart');
  });
});
