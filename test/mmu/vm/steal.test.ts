/*
 * Host-memory pressure: with a host too small for every leaf table, faults keep succeeding while
 * the table pool steals leaf tables from under the vmspace (each steal bumps the generation and
 * kicks an ON_CPU client; stealing an empty table bumps nothing); the dirty log survives the steals; and when nothing can be stolen a
 * fault answers 'exhausted' as a value. Once per entry format.
 */
import { describe, expect, it } from 'vitest';
import { gpa } from '../../../mmu/addr.js';
import { FORMATS, FORMAT_NAMES } from '../../../mmu/gpt/formats.js';
import { PROT_RW } from '../../../mmu/prot.js';
import { frameOf, makeVmRig } from './rig.js';

const P = 4096;
const MB2 = 0x20_0000;
const REGIONS = 12;

describe.each(FORMAT_NAMES)('vmspace under host-memory pressure (%s)', (name) => {
  const format = FORMATS[name];

  /* 18 frames: root + level 3 + level 2 tables (3), a 6-page object (6), 9 frames for 12 leaf tables. */
  const tight = () => {
    const r = makeVmRig(format, { frames: 18 });
    const obj = r.ram(6, 'ram');
    const results = [];
    for (let i = 0; i < REGIONS; i++) results.push(r.vms.map(obj, gpa(i * MB2), P, (i % 6) * P, PROT_RW));
    obj.release();
    return { ...r, obj, results };
  };

  it('maps succeed although their tables do not all fit; empty tables stolen bump nothing', () => {
    const r = tight();
    expect(r.results.every((m) => m.kind === 'ok')).toBe(true);
    // populating later regions took the (empty) leaf tables of earlier ones
    expect(r.log.events.some((e) => e.type === 'table-unbacked' && e.reason === 'stolen')).toBe(true);
    expect(r.vms.generation).toBe(1);
    expect(r.vms.residentCount).toBe(0);
    r.check();
  });

  it('faults keep succeeding as tables are stolen and re-faulted', () => {
    const r = tight();
    const v = r.vms.createClient('vcpu0');
    let kicks = 0;
    v.setKick(() => kicks++);
    v.tableEnter();
    const gen0 = r.vms.generation;
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < REGIONS; i++) {
        const f = v.fault(gpa(i * MB2), 'write');
        expect(f).toMatchObject({ kind: 'mapped', hfn: frameOf(r.obj, (i % 6) * P) });
        r.check();
      }
    }
    const steals = r.log.events.filter((e) => e.type === 'table-steal').length;
    expect(steals).toBeGreaterThan(0);
    expect(r.pool.stats.stolen).toBe(steals);
    // every steal that cleared a leaf is one generation bump, and the client was kicked (once)
    expect(r.vms.generation).toBeGreaterThan(gen0);
    expect(r.vms.counters.generationBumps).toBe(r.vms.generation - 1);
    expect(kicks).toBe(1);
    expect(r.vms.counters.faultsByResult.mapped).toBe(3 * REGIONS);
    expect(r.vms.residentCount).toBeLessThan(REGIONS);
    v.tableExit();
    expect(v.tableEnter().mustFlush).toBe(true);
    v.tableExit();
  });

  it('the dirty log survives steals', () => {
    const r = tight();
    for (let i = 0; i < REGIONS; i++) {
      const f = r.vms.fault(gpa(i * MB2), 'write');
      if (f.kind !== 'mapped') throw new Error('fault failed');
      if (i % 2 === 0) r.vms.gpt.markAccessed(f.pte, true);
    }
    expect(r.log.events.some((e) => e.type === 'table-steal')).toBe(true);
    let dirty = 0;
    const bits: number[] = [];
    for (let i = 0; i < REGIONS; i++) {
      const bm = new Uint8Array(1);
      dirty += r.vms.harvestDirty(gpa(i * MB2), P, bm);
      bits.push(bm[0]);
    }
    // pages 0, 2, 4, ... share frames 0, 2, 4 of the object with pages 6, 8, 10: each frame is
    // reported once by the first region that harvests it after its PTE went
    expect(bits.filter((b, i) => b === 1 && i % 2 === 1)).toEqual([]);
    expect(dirty).toBeGreaterThanOrEqual(3);
    expect(dirty).toBeLessThanOrEqual(6);
    // everything harvested: a second pass finds nothing
    for (let i = 0; i < REGIONS; i++) expect(r.vms.harvestDirty(gpa(i * MB2), P, new Uint8Array(1))).toBe(0);
    r.check();
  });

  it('a fault with no frame and nothing to steal is exhausted, as a value', () => {
    const r = makeVmRig(format, { frames: 8 });
    const obj = r.ram(7, 'ram'); // everything but the root table
    expect(r.frames.freeCount).toBe(0);
    expect(r.vms.map(obj, gpa(0), P, 0, PROT_RW)).toEqual({ kind: 'ok', unbacked: 1 });
    const c = r.vms.createClient();
    expect(c.fault(gpa(0), 'read')).toEqual({ kind: 'exhausted', gpa: 0 });
    expect(c.hold(gpa(0), PROT_RW)).toEqual({ kind: 'exhausted', gpa: 0 });
    expect(r.vms.populate(gpa(0), P)).toEqual({ kind: 'exhausted', mapped: 0 });
    expect(r.vms.counters.faultsByResult.exhausted).toBe(1);
    expect(r.log.events.filter((e) => e.type === 'fault-exhausted')).toEqual([
      { type: 'fault-exhausted', client: c.id, gpa: 0, access: 'read' },
    ]);
    expect(c.state).toBe('IDLE');
    r.check();
  });
});
