/*
 * The GPT together with the real host layer: PV tracking and disconnect, table stealing under a
 * tiny host memory, and exhaustion as a value.
 */
import { describe, expect, it } from 'vitest';
import { gpa, hfn, hpa } from '../../../mmu/addr.js';
import type { Gpa } from '../../../mmu/addr.js';
import { EventLog } from '../../../mmu/events.js';
import { FORMATS, FORMAT_NAMES } from '../../../mmu/gpt/formats.js';
import type { EntryFormat } from '../../../mmu/gpt/entry-format.js';
import { PROT_RW } from '../../../mmu/prot.js';
import { makeRig } from './harness.js';

const MB2 = 0x20_0000;

describe.each(FORMAT_NAMES.map((n) => [n, FORMATS[n]] as [string, EntryFormat]))(
  'GPT on the host, %s',
  (_n, fmt) => {
    it('one frame at two GPAs: a PV list of two, and disconnect clears both PTEs', () => {
      const { gpt, guest, pmap } = makeRig(fmt);
      const invalidated: [number, number][] = [];
      gpt.onInvalidate = (g, len) => invalidated.push([g, len]);
      gpt.populate(gpa(0x1000), 0x1000);
      gpt.populate(gpa(0x1_0000_0000), 0x1000);
      const f = guest[5];
      expect(gpt.mapAt(gpa(0x1000), f, PROT_RW, 'wb')).toBe('mapped');
      expect(pmap.headKind(f)).toBe('single');
      expect(gpt.mapAt(gpa(0x1_0000_0000), f, PROT_RW, 'wb')).toBe('mapped');
      const ptes = [gpt.leafPte(gpa(0x1000)), gpt.leafPte(gpa(0x1_0000_0000))];
      expect(pmap.mappingCount(f)).toBe(2);
      expect(pmap.headKind(f)).toBe('list');
      expect(pmap.mappings(f).sort((a, b) => a - b)).toEqual([...ptes].sort((a, b) => a - b));
      gpt.markAccessed(hpa(gpt.translate(gpa(0x1_0000_0000), 'write')), true);

      expect(pmap.disconnect(f)).toBe(2);
      expect(pmap.headKind(f)).toBe('empty');
      for (const p of ptes) expect([gpt.mem.u32[p >>> 2], gpt.mem.u32[(p >>> 2) + 1]]).toEqual([0, 0]);
      expect(gpt.translate(gpa(0x1000), 'read')).toBe(-1);
      expect(gpt.translate(gpa(0x1_0000_0000), 'read')).toBe(-1);
      expect(invalidated.sort((a, b) => a[0] - b[0])).toEqual([
        [0x1000, 0x1000],
        [0x1_0000_0000, 0x1000],
      ]);
      expect(pmap.isModified(f)).toBe(true); // the dirty leaf's state survived it
      gpt.checkInvariants();
      // still populated: the pages simply map again
      expect(gpt.mapAt(gpa(0x1000), f, PROT_RW, 'wb')).toBe('mapped');
    });

    it('a stolen leaf table loses its entries, keeps its bookkeeping and is re-backed on the next map', () => {
      // 8 guest frames + 5 table frames: root, level 3, level 2 and two leaf tables
      const log = new EventLog();
      const { gpt, guest, pool } = makeRig(fmt, { frames: 8 + 5, reserve: 0, sink: log });
      const invalidated: [number, number][] = [];
      gpt.onInvalidate = (g, len) => invalidated.push([g, len]);
      const r = gpt.populate(gpa(0), 4 * MB2);
      expect(r).toEqual({ kind: 'exhausted', unbacked: 2 });
      expect(log.events.filter((e) => e.type === 'table-unbacked')).toHaveLength(2);
      gpt.checkInvariants();
      const page = (t: number, i: number): Gpa => gpa(t * MB2 + i * 0x1000);
      expect(gpt.mapAt(page(0, 1), guest[0], PROT_RW, 'wb')).toBe('mapped');
      for (let i = 0; i < 3; i++) expect(gpt.mapAt(page(1, i), guest[1 + i], PROT_RW, 'wb')).toBe('mapped');
      expect(gpt.translate(page(2, 0), 'read')).toBe(-2); // populated, but no table in RAM

      // mapping into table 2 needs a frame: the sparsest leaf table (table 0) is stolen
      expect(gpt.mapAt(page(2, 7), guest[4], PROT_RW, 'wb')).toBe('mapped');
      expect(pool.stats.stolen).toBe(1);
      expect(gpt.lookup(page(0, 1))).toBeNull();
      expect(gpt.translate(page(0, 1), 'read')).toBe(-2);
      expect(invalidated).toEqual([[0, MB2]]);
      const t0 = gpt.tables.findNode(0, 1)!;
      expect(t0.backed).toBe(false);
      expect(gpt.tables.refs(t0)).toBe(512); // still covered by the vmspace's mapping
      for (let i = 0; i < 3; i++) expect(gpt.lookup(page(1, i))!.frame).toBe(guest[1 + i]);
      expect(
        log.events.some((e) => e.type === 'table-unbacked' && e.reason === 'stolen' && e.base === 0),
      ).toBe(true);
      gpt.checkInvariants();

      // and the stolen region simply re-faults: mapping there again steals another sparse table
      expect(gpt.mapAt(page(0, 1), guest[0], PROT_RW, 'wb')).toBe('mapped');
      expect(pool.stats.stolen).toBe(2);
      expect(gpt.lookup(page(0, 1))!.frame).toBe(guest[0]);
      expect(gpt.tables.refs(gpt.tables.findNode(0, 1)!)).toBe(512);
      gpt.checkInvariants();

      // vacating everything works whichever tables are backed
      gpt.unmapRegion(gpa(0), 4 * MB2);
      gpt.vacate(gpa(0), 4 * MB2);
      expect(gpt.tables.tableCount).toBe(1);
      gpt.checkInvariants();
    });

    it('exhaustion with nothing to steal is a value and changes nothing', () => {
      const { gpt, guest, pmap } = makeRig(fmt, { frames: 8 + 3, reserve: 0 });
      expect(gpt.populate(gpa(0), 0x2000)).toEqual({ kind: 'exhausted', unbacked: 1 });
      expect(gpt.mapAt(gpa(0x1000), guest[0], PROT_RW, 'wb')).toBe('exhausted');
      expect(pmap.mappingCount(guest[0])).toBe(0);
      gpt.checkInvariants();
      gpt.vacate(gpa(0), 0x2000);
      expect(gpt.tables.tableCount).toBe(1);
      gpt.checkInvariants();
    });

    it('mapping an unpopulated page of an unbacked table allocates nothing and steals nothing', () => {
      const { gpt, guest, pool } = makeRig(fmt, { frames: 8 + 4, reserve: 0 });
      gpt.populate(gpa(0x1000), 0x1000);
      gpt.mapAt(gpa(0x1000), guest[0], PROT_RW, 'wb');
      expect(gpt.populate(gpa(MB2), 0x1000)).toEqual({ kind: 'ok' }); // by stealing table 0
      expect(pool.stats.stolen).toBe(1);
      expect(gpt.tables.findNode(0, 1)!.backed).toBe(false);
      expect(gpt.mapAt(gpa(0x5000), guest[1], PROT_RW, 'wb')).toBe('unpopulated');
      expect(pool.stats.stolen).toBe(1);
      expect(gpt.tables.findNode(MB2, 1)!.backed).toBe(true);
      gpt.checkInvariants();
    });

    it('a dirty page cleared by disconnect or steal still reaches the next harvest', () => {
      const { gpt, guest, pmap, pool } = makeRig(fmt, { frames: 8 + 8, reserve: 0 });
      gpt.populate(gpa(0), 2 * MB2);
      const dirty = (g: number): void => {
        gpt.markAccessed(hpa(gpt.translate(gpa(g), 'write')), true);
      };
      gpt.mapAt(gpa(0x3000), guest[0], PROT_RW, 'wb');
      gpt.mapAt(gpa(MB2 + 0x1000), guest[1], PROT_RW, 'wb');
      gpt.mapAt(gpa(MB2 + 0x2000), guest[2], PROT_RW, 'wb');
      gpt.mapAt(gpa(MB2 + 0x3000), guest[3], PROT_RW, 'wb');
      dirty(0x3000);
      dirty(MB2 + 0x1000);
      pmap.disconnect(guest[1]); // dirty, cleared behind the vmspace's back
      pmap.disconnect(guest[2]); // clean: nothing owed
      expect(pool.steal()).not.toBe(-1); // table 0, holding the dirty page 0x3000
      expect(gpt.lookup(gpa(0x3000))).toBeNull();
      expect(gpt.tables.lostDirtyPages).toBe(2);
      gpt.mapAt(gpa(0x3000), guest[0], PROT_RW, 'wb'); // mapped again, clean, still owed
      const bm = new Uint8Array(2 * 64);
      expect(gpt.harvestDirty(gpa(0), 2 * MB2, bm)).toBe(2);
      const pages: number[] = [];
      for (let i = 0; i < 1024; i++) if (bm[i >> 3] & (1 << (i & 7))) pages.push(i * 0x1000);
      expect(pages).toEqual([0x3000, MB2 + 0x1000]);
      expect(gpt.harvestDirty(gpa(0), 2 * MB2, new Uint8Array(128))).toBe(0);
      // a vacated region owes nothing
      gpt.markAccessed(hpa(gpt.translate(gpa(MB2 + 0x3000), 'write')), true);
      pmap.disconnect(guest[3]);
      expect(gpt.tables.lostDirtyPages).toBe(1);
      gpt.unmapRegion(gpa(MB2), MB2);
      gpt.vacate(gpa(MB2), MB2);
      expect(gpt.tables.lostDirtyPages).toBe(0);
      gpt.checkInvariants();
    });

    it('maps a device aperture frame above host RAM (no PV head), uncached', () => {
      const { gpt, pmap, mem } = makeRig(fmt);
      const dev = hfn(mem.frameCount + 0x100);
      gpt.populate(gpa(0x900_0000), 0x1000);
      expect(gpt.mapAt(gpa(0x900_0000), dev, PROT_RW, 'uc')).toBe('mapped');
      expect(gpt.lookup(gpa(0x900_0000))).toMatchObject({ frame: dev, memType: 'uc' });
      expect(pmap.unmanagedLeaves).toBe(1);
      gpt.markAccessed(hpa(gpt.translate(gpa(0x900_0000), 'write')), true);
      expect(gpt.unmap(gpa(0x900_0000))).toBe(true);
      expect(pmap.unmanagedLeaves).toBe(0);
      gpt.checkInvariants();
    });

    it('pool.steal() and validCount go through the GPT', () => {
      const { gpt, guest, pool } = makeRig(fmt, { frames: 8 + 8, reserve: 0 });
      gpt.populate(gpa(0), 2 * MB2);
      gpt.mapAt(gpa(MB2 + 0x3000), guest[0], PROT_RW, 'wb');
      gpt.mapAt(gpa(MB2 + 0x4000), guest[1], PROT_RW, 'wb');
      gpt.mapAt(gpa(0x4000), guest[2], PROT_RW, 'wb');
      const t0 = gpt.tables.findNode(0, 1)!;
      const t1 = gpt.tables.findNode(MB2, 1)!;
      expect(gpt.validCount(hfn(t0.frame))).toBe(1);
      expect(gpt.validCount(hfn(t1.frame))).toBe(2);
      const victim = pool.steal();
      expect(victim).not.toBe(-1);
      expect(t0.backed).toBe(false); // the sparser table went
      expect(gpt.lookup(gpa(0x4000))).toBeNull();
      expect(gpt.lookup(gpa(MB2 + 0x3000))).not.toBeNull();
      gpt.checkInvariants();
      expect(gpt.populate(gpa(4 * MB2), 0x1000)).toEqual({ kind: 'ok' }); // takes the stolen frame from the cache
    });
  },
);
