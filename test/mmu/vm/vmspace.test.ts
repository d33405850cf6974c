/*
 * Vmspace: map / fault / unmap / populate, fault results, resident count, the generation (bumped
 * exactly on changes that remove or narrow translations), dirty-log harvest and Accessed reset,
 * frame disconnect. Every test runs once per entry format.
 */
import { describe, expect, it } from 'vitest';
import { gpa, hfn, hpa } from '../../../mmu/addr.js';
import type { MmuEvent } from '../../../mmu/events.js';
import { FORMATS, FORMAT_NAMES } from '../../../mmu/gpt/formats.js';
import { ATTR_MODIFIED } from '../../../mmu/host/page-attributes.js';
import { PROT_ALL, PROT_EXEC, PROT_READ, PROT_RW, PROT_RX, PROT_WRITE } from '../../../mmu/prot.js';
import { VmObject } from '../../../mmu/vm/vm-object.js';
import { DIRTY_TRACKING_OFF } from '../../../mmu/vm/vm-results.js';
import { frameOf, makeVmRig } from './rig.js';

const P = 4096;
const types = (evs: MmuEvent[]): string[] => evs.map((e) => e.type);

describe.each(FORMAT_NAMES)('vmspace (%s)', (name) => {
  const format = FORMATS[name];

  it('maps lazily: map populates tables, the first fault writes the leaf', () => {
    const r = makeVmRig(format);
    const ram = r.ram(4, 'ram');
    expect(r.vms.map(ram, gpa(0x10_0000), 4 * P, 0, PROT_ALL)).toEqual({ kind: 'ok', unbacked: 0 });
    expect(ram.refcount).toBe(2);
    expect(r.vms.residentCount).toBe(0);
    expect(r.vms.gpt.lookup(gpa(0x10_1000))).toBeNull();

    const f = r.vms.fault(gpa(0x10_1234), 'read');
    expect(f).toMatchObject({ kind: 'mapped', gpa: 0x10_1000, hfn: frameOf(ram, P), prot: PROT_ALL });
    const leaf = r.vms.gpt.lookup(gpa(0x10_1000))!;
    expect(leaf.frame).toBe(frameOf(ram, P));
    expect(leaf.prot).toBe(PROT_ALL);
    expect(leaf.memType).toBe('wb');
    expect(f.kind === 'mapped' && f.pte).toBe(leaf.pte);
    expect(r.vms.residentCount).toBe(1);
    // a second fault on a present page maps nothing new
    expect(r.vms.fault(gpa(0x10_1000), 'write')).toMatchObject({ kind: 'mapped', hfn: frameOf(ram, P) });
    expect(r.vms.residentCount).toBe(1);
    r.check();
  });

  it('honours the object offset', () => {
    const r = makeVmRig(format);
    const ram = r.ram(8);
    r.vms.map(ram, gpa(0x4000_0000), 2 * P, 5 * P, PROT_RW);
    expect(r.vms.fault(gpa(0x4000_1000), 'read')).toMatchObject({ kind: 'mapped', hfn: frameOf(ram, 6 * P) });
  });

  it('answers nomap, rights and mmio as values', () => {
    const r = makeVmRig(format);
    const ram = r.ram(2);
    r.vms.map(ram, gpa(0), 2 * P, 0, PROT_READ);
    const dev = r.mmio(1, 3, 'uart');
    r.vms.map(dev, gpa(0x900_0000), P, 0, PROT_RW);

    expect(r.vms.fault(gpa(0x5000), 'read')).toEqual({ kind: 'nomap', gpa: 0x5000 });
    expect(r.vms.fault(gpa(0x1000), 'write')).toEqual({ kind: 'rights', gpa: 0x1000, prot: PROT_READ });
    expect(r.vms.fault(gpa(0x1000), 'exec')).toEqual({ kind: 'rights', gpa: 0x1000, prot: PROT_READ });
    expect(r.vms.residentCount).toBe(0);

    const m = r.vms.fault(gpa(0x900_0018), 'write');
    expect(m).toMatchObject({ kind: 'mmio', gpa: 0x900_0000, hpa: r.mem.bytes + 3 * P, object: dev });
    const leaf = r.vms.gpt.lookup(gpa(0x900_0000))!;
    expect(leaf.memType).toBe('uc');
    expect(leaf.frame).toBe(r.mem.frameCount + 3);
    expect(r.vms.residentCount).toBe(1);
    expect(r.vms.fault(gpa(0x900_0000), 'exec')).toMatchObject({ kind: 'rights' });

    expect(r.vms.counters.faultsByAccess).toEqual({ read: 1, write: 2, exec: 2 });
    expect(r.vms.counters.faultsByResult).toEqual({ mapped: 0, mmio: 1, nomap: 1, rights: 3, exhausted: 0 });
    const faults = r.log.events.filter((e) => e.type === 'fault');
    expect(faults.map((e) => e.type === 'fault' && e.result)).toEqual([
      'nomap',
      'rights',
      'rights',
      'mmio',
      'rights',
    ]);
    r.check();
  });

  it('write implies read in a mapping', () => {
    const r = makeVmRig(format);
    r.vms.map(r.ram(1), gpa(0), P, 0, PROT_WRITE);
    expect(r.vms.mappings()[0].prot).toBe(PROT_RW);
    expect(r.vms.fault(gpa(0), 'read').kind).toBe('mapped');
  });

  it('refuses overlapping and malformed maps as values, changing nothing', () => {
    const r = makeVmRig(format);
    const ram = r.ram(4);
    r.vms.map(ram, gpa(0x2000), 2 * P, 0, PROT_RW);
    const before = r.log.events.length;
    expect(r.vms.map(ram, gpa(0x3000), 2 * P, 0, PROT_RW)).toEqual({
      kind: 'overlap',
      gpa: 0x3000,
      len: 2 * P,
      existing: { gpa: 0x2000, len: 2 * P },
    });
    expect(r.vms.map(ram, gpa(0), 3 * P, 0, PROT_RW).kind).toBe('overlap');
    expect(r.vms.map(ram, gpa(0x1000), P, 0, PROT_RW).kind).toBe('ok'); // touching is fine
    expect(r.vms.map(ram, gpa(0x10_0800), P, 0, PROT_RW).kind).toBe('invalid');
    expect(r.vms.map(ram, gpa(0x10_0000), 2 * P, 3 * P, PROT_RW).kind).toBe('invalid');
    expect(r.vms.map(ram, gpa(0x10_0000), P, 0, 0).kind).toBe('invalid');
    expect(r.vms.map(ram, gpa(2 ** 48 - P), 2 * P, 0, PROT_RW).kind).toBe('invalid');
    const inRam = VmObject.mmio(hpa(0x8000), P);
    expect(r.vms.map(inRam, gpa(0x10_0000), P, 0, PROT_RW)).toMatchObject({ kind: 'invalid' });
    expect(ram.refcount).toBe(3);
    expect(r.vms.mappings().map((m) => m.gpa)).toEqual([0x1000, 0x2000]);
    expect(r.log.events.slice(before).filter((e) => e.type === 'vm-map')).toHaveLength(1);
    r.check();
  });

  it('unmap clears PTEs, vacates, drops the object, and bumps the generation once', () => {
    const r = makeVmRig(format);
    const ram = r.ram(4);
    r.vms.map(ram, gpa(0x20_0000), 4 * P, 0, PROT_RW);
    ram.release(); // the mapping owns it now
    r.vms.fault(gpa(0x20_0000), 'read');
    r.vms.fault(gpa(0x20_3000), 'write');
    expect(r.vms.generation).toBe(1);
    const reserved = r.reservoir.reservedCount;

    expect(r.vms.unmap(gpa(0x20_0000), 2 * P)).toEqual({ kind: 'nomap', gpa: 0x20_0000, len: 2 * P });
    r.log.events.length = 0;
    expect(r.vms.unmap(gpa(0x20_0000), 4 * P)).toEqual({ kind: 'ok', cleared: 2 });
    expect(r.vms.generation).toBe(2);
    expect(r.vms.residentCount).toBe(0);
    expect(r.vms.mappings()).toHaveLength(0);
    expect(ram.isFreed).toBe(true);
    expect(r.reservoir.reservedCount).toBe(reserved - 4);
    expect(r.vms.gpt.tables.tableCount).toBe(1); // only the root remains
    const t = types(r.log.events);
    expect(t.filter((x) => x === 'generation')).toHaveLength(1);
    expect(t).toContain('vm-unmap');
    expect(t).toContain('object-free');
    expect(r.vms.fault(gpa(0x20_0000), 'read').kind).toBe('nomap');
    r.check();
  });

  it('unmapping a region never touched does not bump the generation', () => {
    const r = makeVmRig(format);
    r.vms.map(r.ram(2), gpa(0), 2 * P, 0, PROT_RW);
    expect(r.vms.unmap(gpa(0), 2 * P)).toEqual({ kind: 'ok', cleared: 0 });
    expect(r.vms.generation).toBe(1);
  });

  it('map and fault never bump the generation', () => {
    const r = makeVmRig(format);
    r.vms.map(r.ram(2), gpa(0), 2 * P, 0, PROT_RW);
    r.vms.fault(gpa(0), 'write');
    r.vms.populate(gpa(0), 2 * P);
    r.vms.fault(gpa(0x8000), 'read');
    expect(r.vms.generation).toBe(1);
    expect(r.vms.counters.generationBumps).toBe(0);
  });

  it('populate makes a range resident', () => {
    const r = makeVmRig(format);
    const ram = r.ram(8);
    r.vms.map(ram, gpa(0x1000), 8 * P, 0, PROT_RX);
    r.vms.fault(gpa(0x2000), 'exec');
    expect(r.vms.populate(gpa(0x1000), 4 * P)).toEqual({ kind: 'ok', mapped: 3 });
    expect(r.vms.residentCount).toBe(4);
    expect(r.vms.populate(gpa(0x7000), 2 * P)).toEqual({ kind: 'ok', mapped: 2 });
    expect(r.vms.populate(gpa(0x8000), 4 * P)).toEqual({ kind: 'nomap', gpa: 0x8000, len: 4 * P });
    for (let i = 0; i < 4; i++)
      expect(r.vms.gpt.lookup(gpa(0x1000 + i * P))!.frame).toBe(frameOf(ram, i * P));
    r.check();
  });

  it('harvest is get-and-clear; a write after the harvest dirties again', () => {
    const r = makeVmRig(format);
    const ram = r.ram(16);
    const base = gpa(0x4000_0000);
    r.vms.map(ram, base, 16 * P, 0, PROT_RW);
    const write = (page: number): void => {
      const f = r.vms.fault(gpa(base + page * P), 'write');
      if (f.kind !== 'mapped') throw new Error('not mapped');
      r.vms.gpt.markAccessed(f.pte, true); // what the fill hook does on a write
    };
    r.vms.fault(gpa(base + 2 * P), 'read');
    r.vms.gpt.markAccessed(r.vms.gpt.lookup(gpa(base + 2 * P))!.pte, false);
    write(1);
    write(9);

    const bm = new Uint8Array(2);
    expect(r.vms.harvestDirty(base, 16 * P, bm)).toBe(2);
    expect(Array.from(bm)).toEqual([0b10, 0b10]);
    expect(r.vms.generation).toBe(2);
    expect(r.vms.gpt.isDirty(gpa(base + P))).toBe(false);
    expect(r.vms.gpt.isAccessed(gpa(base + P))).toBe(true);

    // cleared: a second harvest finds nothing and does not bump
    const bm2 = new Uint8Array(2);
    expect(r.vms.harvestDirty(base, 16 * P, bm2)).toBe(0);
    expect(Array.from(bm2)).toEqual([0, 0]);
    expect(r.vms.generation).toBe(2);

    write(9);
    const bm3 = new Uint8Array(2);
    expect(r.vms.harvestDirty(base, 16 * P, bm3)).toBe(1);
    expect(Array.from(bm3)).toEqual([0, 0b10]);
    expect(r.vms.generation).toBe(3);
    expect(r.vms.counters.harvests).toBe(3);
    expect(
      r.log.events.filter((e) => e.type === 'harvest').map((e) => e.type === 'harvest' && e.dirty),
    ).toEqual([2, 0, 1]);
    r.check();
  });

  it('harvest over a sub-range counts bits from its start and leaves other bits alone', () => {
    const r = makeVmRig(format);
    const ram = r.ram(8);
    r.vms.map(ram, gpa(0), 8 * P, 0, PROT_RW);
    for (const p of [1, 5, 6]) {
      const f = r.vms.fault(gpa(p * P), 'write');
      if (f.kind === 'mapped') r.vms.gpt.markAccessed(f.pte, true);
    }
    const bm = new Uint8Array([0x80]);
    expect(r.vms.harvestDirty(gpa(4 * P), 4 * P, bm)).toBe(2);
    expect(bm[0]).toBe(0x80 | 0b0110);
    expect(r.vms.gpt.isDirty(gpa(P))).toBe(true);
  });

  it('harvest with dirty tracking off answers DIRTY_TRACKING_OFF and changes nothing', () => {
    const r = makeVmRig(format, { trackDirty: false });
    expect(r.vms.dirtyTracking).toBe(false);
    r.vms.map(r.ram(1), gpa(0), P, 0, PROT_RW);
    const f = r.vms.fault(gpa(0), 'write');
    if (f.kind === 'mapped') r.vms.gpt.markAccessed(f.pte, true);
    const bm = new Uint8Array(1);
    expect(r.vms.harvestDirty(gpa(0), P, bm)).toBe(DIRTY_TRACKING_OFF);
    expect(bm[0]).toBe(0);
    expect(r.vms.gpt.isDirty(gpa(0))).toBe(true);
    // turning tracking on is a change that takes write from cached translations
    expect(r.vms.setDirtyTracking(true)).toBe(true);
    expect(r.vms.generation).toBe(2);
    expect(r.vms.harvestDirty(gpa(0), P, bm)).toBe(1);
  });

  it('resetAccessed clears A, keeps the dirty log, and bumps only when something was set', () => {
    const r = makeVmRig(format);
    const ram = r.ram(4);
    r.vms.map(ram, gpa(0), 4 * P, 0, PROT_RW);
    expect(r.vms.resetAccessed(gpa(0), 4 * P)).toBe(0);
    expect(r.vms.generation).toBe(1);
    const a = r.vms.fault(gpa(0), 'read');
    const b = r.vms.fault(gpa(2 * P), 'write');
    if (a.kind !== 'mapped' || b.kind !== 'mapped') throw new Error('not mapped');
    r.vms.gpt.markAccessed(a.pte, false);
    r.vms.gpt.markAccessed(b.pte, true);
    expect(r.vms.resetAccessed(gpa(0), 4 * P)).toBe(2);
    expect(r.vms.generation).toBe(2);
    expect(r.vms.gpt.isAccessed(gpa(0))).toBe(false);
    expect(r.vms.gpt.isDirty(gpa(2 * P))).toBe(false);
    expect(r.vms.residentCount).toBe(2);
    // the page written before the reset is still reported by the next harvest
    const bm = new Uint8Array(1);
    expect(r.vms.harvestDirty(gpa(0), 4 * P, bm)).toBe(1);
    expect(bm[0]).toBe(0b100);
    expect(r.pmap.attributes(frameOf(ram, 2 * P)) & ATTR_MODIFIED).toBe(0);
    r.check();
  });

  it('disconnectFrame clears every PTE of the frame and bumps once', () => {
    const r = makeVmRig(format);
    const ram = r.ram(2);
    r.vms.map(ram, gpa(0), 2 * P, 0, PROT_RW);
    r.vms.map(ram, gpa(0x40_0000), 2 * P, 0, PROT_READ); // the same frames, a second time
    r.vms.fault(gpa(P), 'read');
    const w = r.vms.fault(gpa(0x40_1000), 'read');
    expect(w).toMatchObject({ hfn: frameOf(ram, P) });
    expect(r.pmap.mappingCount(frameOf(ram, P))).toBe(2);
    r.log.events.length = 0;
    expect(r.vms.disconnectFrame(frameOf(ram, P))).toBe(2);
    expect(r.vms.residentCount).toBe(0);
    expect(r.vms.generation).toBe(2);
    expect(types(r.log.events).filter((t) => t === 'generation')).toHaveLength(1);
    const inv = r.log.events.find((e) => e.type === 'invalidate');
    expect(inv).toEqual({ type: 'invalidate', gpa: P, len: 0x40_1000 + P - P });
    expect(r.vms.disconnectFrame(hfn(frameOf(ram, 0)))).toBe(0);
    expect(r.vms.generation).toBe(2);
    // faults bring the frame back
    expect(r.vms.fault(gpa(P), 'write')).toMatchObject({ kind: 'mapped', hfn: frameOf(ram, P) });
    r.check();
  });

  it('exec rights follow the mapping', () => {
    const r = makeVmRig(format);
    r.vms.map(r.ram(1), gpa(0), P, 0, PROT_RX);
    r.vms.map(r.ram(1), gpa(P), P, 0, PROT_RW);
    expect(r.vms.fault(gpa(0), 'exec').kind).toBe('mapped');
    expect(r.vms.fault(gpa(P), 'exec')).toEqual({ kind: 'rights', gpa: P, prot: PROT_RW });
    expect(r.vms.gpt.lookup(gpa(0))!.prot & PROT_EXEC).toBe(PROT_EXEC);
  });

  it('destroy unmaps everything, frees the GPT and returns every frame', () => {
    const r = makeVmRig(format);
    const free0 = r.frames.freeCount;
    const ram = r.ram(3);
    r.vms.map(ram, gpa(0x1000), 3 * P, 0, PROT_RW);
    ram.release();
    r.vms.populate(gpa(0x1000), 3 * P);
    r.vms.destroy();
    expect(r.vms.isDestroyed).toBe(true);
    expect(ram.isFreed).toBe(true);
    expect(r.vms.gpt.isFreed).toBe(true);
    expect(r.pool.stats.inUse).toBe(0);
    expect(r.frames.freeCount + r.pool.stats.cached).toBe(free0 + 1 /* the root table */);
    expect(() => r.vms.fault(gpa(0x1000), 'read')).toThrow(/after destroy/);
    r.check();
  });
});
