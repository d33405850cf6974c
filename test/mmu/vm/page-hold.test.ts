/*
 * PageHold: byte views on host RAM, write-release dirtying (PTE Dirty + frame modified), deferred
 * dirtying, chains, holds that outlive the unmapping of their region (the object stays alive until
 * the last release), counters and events. Once per entry format.
 */
import { describe, expect, it } from 'vitest';
import { gpa } from '../../../mmu/addr.js';
import { InvariantError } from '../../../mmu/checks.js';
import { FORMATS, FORMAT_NAMES } from '../../../mmu/gpt/formats.js';
import { ATTR_MODIFIED } from '../../../mmu/host/page-attributes.js';
import { PROT_EXEC, PROT_READ, PROT_RW, PROT_WRITE } from '../../../mmu/prot.js';
import { PageHold } from '../../../mmu/vm/page-hold.js';
import type { HoldFailure } from '../../../mmu/vm/vm-client.js';
import { frameOf, makeVmRig } from './rig.js';

const P = 4096;

function held(h: PageHold | HoldFailure): PageHold {
  if (!(h instanceof PageHold)) throw new Error(`no hold: ${h.kind}`);
  return h;
}

describe.each(FORMAT_NAMES)('page holds (%s)', (name) => {
  const format = FORMATS[name];

  const rig = (opts: { trackDirty?: boolean } = {}) => {
    const r = makeVmRig(format, opts);
    const obj = r.ram(4, 'ram');
    r.vms.map(obj, gpa(0x10_0000), 4 * P, 0, PROT_RW);
    obj.release();
    const dev = r.mmio(1, 0, 'dev');
    r.vms.map(dev, gpa(0x900_0000), P, 0, PROT_RW);
    dev.release();
    return { ...r, obj, c: r.vms.createClient('dev') };
  };

  it('gives a view on the frame (no copy), maps the page, counts and reports', () => {
    const r = rig();
    const h = held(r.c.hold(gpa(0x10_1234), PROT_READ));
    expect(h.gpa).toBe(0x10_1000);
    expect(h.hfn).toBe(frameOf(r.obj, P));
    expect(h.bytes.length).toBe(P);
    expect(h.bytes.buffer).toBe(r.mem.buffer);
    r.mem.u8[h.hfn * P + 7] = 0xab;
    expect(h.bytes[7]).toBe(0xab);
    expect(r.vms.residentCount).toBe(1);
    expect(r.c.holds()).toEqual([h]);
    expect(r.vms.counters.holds).toEqual({ taken: 1, released: 0, outstanding: 1 });
    expect(r.c.state).toBe('IDLE');
    expect(h.release()).toBe(false);
    expect(r.c.holds()).toEqual([]);
    expect(r.vms.counters.holds).toEqual({ taken: 1, released: 1, outstanding: 0 });
    const ev = r.log.events.filter((e) => e.type === 'hold' || e.type === 'release');
    expect(ev).toEqual([
      { type: 'hold', client: r.c.id, gpa: 0x10_1000, prot: PROT_READ, hfn: h.hfn },
      { type: 'release', client: r.c.id, gpa: 0x10_1000, dirty: false },
    ]);
    expect(() => h.release()).toThrow(InvariantError);
    r.check();
  });

  it('answers nomap, rights and mmio as values', () => {
    const r = rig();
    expect(r.c.hold(gpa(0), PROT_READ)).toEqual({ kind: 'nomap', gpa: 0 });
    expect(r.c.hold(gpa(0x10_0000), PROT_EXEC)).toEqual({ kind: 'rights', gpa: 0x10_0000, prot: PROT_RW });
    expect(r.c.hold(gpa(0x900_0000), PROT_READ)).toMatchObject({ kind: 'mmio', hpa: r.mem.bytes });
    expect(r.vms.counters.holds.taken).toBe(0);
    expect(() => r.c.hold(gpa(0x10_0000), 0)).toThrow(InvariantError);
  });

  it('releasing a write hold dirties the PTE and the frame, as a hardware write would', () => {
    const r = rig();
    const h = held(r.c.hold(gpa(0x10_2000), PROT_RW));
    expect(r.vms.gpt.isDirty(gpa(0x10_2000))).toBe(false);
    h.bytes[0] = 1;
    h.release();
    expect(r.vms.gpt.isDirty(gpa(0x10_2000))).toBe(true);
    expect(r.vms.gpt.isAccessed(gpa(0x10_2000))).toBe(true);
    expect(r.pmap.attributes(h.hfn) & ATTR_MODIFIED).toBe(ATTR_MODIFIED);
    expect(r.log.events.at(-1)).toEqual({ type: 'release', client: r.c.id, gpa: 0x10_2000, dirty: true });
    const bm = new Uint8Array(1);
    expect(r.vms.harvestDirty(gpa(0x10_0000), 4 * P, bm)).toBe(1); // counted once, not twice
    expect(bm[0]).toBe(0b100);
    expect(r.pmap.attributes(h.hfn) & ATTR_MODIFIED).toBe(0);
    r.check();
  });

  it('a write hold still marks the page dirty when its PTE was disconnected meanwhile', () => {
    const r = rig();
    const h = held(r.c.hold(gpa(0x10_3000), PROT_WRITE));
    r.vms.disconnectFrame(h.hfn);
    expect(r.vms.residentCount).toBe(0);
    expect(h.release()).toBe(false);
    const bm = new Uint8Array(1);
    expect(r.vms.harvestDirty(gpa(0x10_0000), 4 * P, bm)).toBe(1);
    expect(bm[0]).toBe(0b1000);
  });

  it('deferDirty: no dirtying at release unless markDirty was called', () => {
    const r = rig();
    const a = held(r.c.hold(gpa(0x10_0000), PROT_RW, { deferDirty: true }));
    const b = held(r.c.hold(gpa(0x10_1000), PROT_RW, { deferDirty: true }));
    expect(a.isDeferred).toBe(true);
    a.release();
    expect(r.vms.gpt.isDirty(gpa(0x10_0000))).toBe(false);
    expect(r.log.events.at(-1)).toMatchObject({ type: 'release', dirty: false });
    b.markDirty();
    expect(b.isDeferred).toBe(false);
    expect(r.vms.gpt.isDirty(gpa(0x10_1000))).toBe(false); // applied at release, not now
    b.release();
    expect(r.vms.gpt.isDirty(gpa(0x10_1000))).toBe(true);
    expect(() => r.c.hold(gpa(0x10_0000), PROT_READ, { deferDirty: true })).toThrow(InvariantError);
    const ro = held(r.c.hold(gpa(0x10_0000), PROT_READ));
    expect(() => ro.markDirty()).toThrow(InvariantError);
    ro.release();
  });

  it('with dirty tracking off a write release sets only the frame attribute', () => {
    const r = rig({ trackDirty: false });
    const h = held(r.c.hold(gpa(0x10_0000), PROT_RW));
    h.release();
    expect(r.vms.gpt.isDirty(gpa(0x10_0000))).toBe(false);
    expect(r.pmap.isModified(h.hfn)).toBe(true);
  });

  it('chains release together, in order', () => {
    const r = rig();
    const a = held(r.c.hold(gpa(0x10_0000), PROT_READ));
    const b = held(r.c.hold(gpa(0x10_1000), PROT_RW));
    const c = held(r.c.hold(gpa(0x10_2000), PROT_RW, { deferDirty: true }));
    const d = held(r.c.hold(gpa(0x10_3000), PROT_READ));
    expect(a.chain(b).chain(c)).toBe(c);
    expect(a.next).toBe(b);
    expect(() => a.chain(d)).toThrow(/already chained/);
    const other = r.vms.createClient('other');
    const e = held(other.hold(gpa(0x10_3000), PROT_READ));
    expect(() => c.chain(e)).toThrow(/one client/);
    r.log.events.length = 0;
    expect(a.releaseChain()).toBe(false);
    expect([a, b, c].every((h) => h.isReleased)).toBe(true);
    expect(d.isReleased).toBe(false);
    expect(r.c.holds()).toEqual([d]);
    expect(r.log.events.filter((x) => x.type === 'release')).toEqual([
      { type: 'release', client: r.c.id, gpa: 0x10_0000, dirty: false },
      { type: 'release', client: r.c.id, gpa: 0x10_1000, dirty: true },
      { type: 'release', client: r.c.id, gpa: 0x10_2000, dirty: false },
    ]);
    expect(r.vms.counters.holds).toEqual({ taken: 5, released: 3, outstanding: 2 });
    d.release();
    e.release();
  });

  it('a hold across an unmap keeps the object (and its frames) alive until released', () => {
    const r = rig();
    const reserved = r.reservoir.reservedCount;
    const h = held(r.c.hold(gpa(0x10_1000), PROT_RW));
    const outside = held(r.c.hold(gpa(0x10_3000), PROT_READ));
    expect(r.vms.unmap(gpa(0x10_0000), 4 * P)).toEqual({ kind: 'ok', cleared: 2 });
    expect(r.obj.isFreed).toBe(false);
    expect(r.obj.refcount).toBe(2); // both holds were in the region
    expect(h.wasUnmapped).toBe(true);
    expect(r.reservoir.reservedCount).toBe(reserved);
    h.bytes[5] = 9; // still our frame
    expect(h.hfn).toBe(frameOf(r.obj, P));
    expect(r.mem.u8[h.hfn * P + 5]).toBe(9);
    // map the same range again with another object: the old holds keep the old object
    const other = r.ram(4, 'ram2');
    r.vms.map(other, gpa(0x10_0000), 4 * P, 0, PROT_RW);
    r.vms.unmap(gpa(0x10_0000), 4 * P);
    expect(other.refcount).toBe(1);
    expect(r.obj.refcount).toBe(2);
    expect(h.release()).toBe(true);
    expect(r.vms.gpt.isDirty(gpa(0x10_1000))).toBe(false);
    expect(r.obj.isFreed).toBe(false);
    expect(outside.release()).toBe(true);
    expect(r.obj.isFreed).toBe(true);
    expect(r.reservoir.reservedCount).toBe(reserved - 4 + 4 /* ram2, still ours */);
    other.release();
    expect(r.reservoir.reservedCount).toBe(reserved - 4);
    r.check();
  });

  it('holds on unmapped regions survive the vmspace; orphaned clients release them', () => {
    const r = rig();
    const h = held(r.c.hold(gpa(0x10_0000), PROT_RW));
    const reserved = r.reservoir.reservedCount;
    r.vms.destroy();
    expect(r.c.state).toBe('ORPHANED');
    expect(r.obj.isFreed).toBe(false);
    expect(r.reservoir.reservedCount).toBe(reserved);
    expect(() => r.c.destroy()).toThrow(/holds outstanding/);
    expect(h.release()).toBe(true);
    expect(r.obj.isFreed).toBe(true);
    expect(r.reservoir.reservedCount).toBe(reserved - 4);
    r.c.destroy();
    expect(r.c.state).toBe('DESTROY');
  });
});
