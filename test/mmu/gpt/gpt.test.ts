/*
 * GPT behaviour, run once per entry format: populate / map / walk / iterate / A-D / harvest /
 * vacate / free, with the full invariant sweep on (vitest sets NESTVM_CHECKS=full).
 */
import { describe, expect, it } from 'vitest';
import { gpa, hfn, hpa } from '../../../mmu/addr.js';
import type { Gpa } from '../../../mmu/addr.js';
import { InvariantError, fullChecks } from '../../../mmu/checks.js';
import { EventLog } from '../../../mmu/events.js';
import type { EntryFormat } from '../../../mmu/gpt/entry-format.js';
import { newWords } from '../../../mmu/gpt/entry-format.js';
import { FORMATS, FORMAT_NAMES } from '../../../mmu/gpt/formats.js';
import { GPA_END } from '../../../mmu/gpt/gpt-geometry.js';
import { NO_ENTRY, TX_RIGHTS, newWalkPath } from '../../../mmu/gpt/gpt-walk.js';
import { PROT_ALL, PROT_READ, PROT_RW } from '../../../mmu/prot.js';
import { makeRig } from './harness.js';

const MB2 = 0x20_0000;
const GB = 0x4000_0000;

describe.each(FORMAT_NAMES.map((n) => [n, FORMATS[n]] as [string, EntryFormat]))(
  'GPT with %s',
  (_name, fmt) => {
    it('runs with full checks on', () => {
      expect(fullChecks()).toBe(true);
    });

    it('starts with a backed root and a root pointer naming it', () => {
      const { gpt, pmap } = makeRig(fmt);
      expect(gpt.tables.tableCount).toBe(1);
      expect(pmap.isTable(gpt.rootFrame)).toBe(true);
      expect(pmap.descLevel(gpt.rootFrame)).toBe(4);
      const rp = gpt.rootPointer({ vmid: 3 });
      const want = newWords();
      fmt.rootPointer(want, gpt.rootFrame, { adEnabled: true, vmid: 3 });
      expect(rp).toEqual(want);
      expect(fmt.decode(rp.lo, rp.hi, 'root').fields.find((f) => f.name === 'ADDR')?.value).toBe(
        gpt.rootFrame * 4096,
      );
      fmt.rootPointer(want, gpt.rootFrame, { adEnabled: true, vmid: 0 });
      expect(gpt.rootPointer({ adEnabled: undefined, vmid: undefined })).toEqual(want); // defaults
      fmt.rootPointer(want, gpt.rootFrame, { adEnabled: false, vmid: 0 });
      expect(gpt.rootPointer({ adEnabled: false })).toEqual(want);
      gpt.checkInvariants();
    });

    it('populates a range across a 2 MiB boundary: one table per level, refcounts = covered entries', () => {
      const { gpt, pmap } = makeRig(fmt);
      expect(gpt.populate(gpa(MB2 - 0x1000), 0x3000)).toEqual({ kind: 'ok' });
      expect(gpt.tables.tableCount).toBe(1 + 1 + 1 + 2);
      const a = gpt.tables.findNode(MB2 - 0x1000, 1)!;
      const b = gpt.tables.findNode(MB2, 1)!;
      expect([a.base, a.index, b.base, b.index]).toEqual([0, 0, MB2, 1]);
      expect(a.next).toBe(b);
      expect(b.prev).toBe(a);
      expect(pmap.refcount(hfn(a.frame))).toBe(1);
      expect(pmap.refcount(hfn(b.frame))).toBe(2);
      expect(pmap.refcount(hfn(a.parent!.frame))).toBe(2); // two child tables
      expect(pmap.refcount(gpt.rootFrame)).toBe(1);
    });

    it('maps only populated pages, translates, refuses a different frame, unmaps', () => {
      const { gpt, guest } = makeRig(fmt);
      gpt.populate(gpa(0x10_0000), 0x2000);
      expect(gpt.mapAt(gpa(0x10_2000), guest[0], PROT_RW, 'wb')).toBe('unpopulated'); // same table, not covered
      expect(gpt.mapAt(gpa(0x4000_0000), guest[0], PROT_RW, 'wb')).toBe('unpopulated'); // no table
      expect(gpt.mapAt(gpa(0x10_1000), guest[0], PROT_READ, 'uc')).toBe('mapped');
      const pte = gpt.translate(gpa(0x10_1000), 'read');
      expect(pte).toBeGreaterThanOrEqual(0);
      expect(pte).toBe(gpt.leafPte(gpa(0x10_1000)));
      expect(gpt.translate(gpa(0x10_1000), 'write')).toBe(TX_RIGHTS);
      expect(gpt.translate(gpa(0x10_0000), 'read')).toBe(-1); // leaf table there, entry not present
      expect(gpt.translate(gpa(0x4000_0000), 'read')).toBe(-3); // level-3 entry for 1 GiB not present
      expect(gpt.translate(gpa(0x80_0000_0000), 'read')).toBe(-4); // root entry not present
      expect(gpt.lookup(gpa(0x10_1234))).toMatchObject({
        gpa: 0x10_1000,
        frame: guest[0],
        memType: 'uc',
        accessed: false,
        dirty: false,
      });
      expect(gpt.lookup(gpa(0x10_1000))!.prot & PROT_READ).toBe(PROT_READ);
      expect(gpt.frameAt(hpa(pte))).toBe(guest[0]);
      expect(gpt.protAt(hpa(pte))).toBe(gpt.lookup(gpa(0x10_1000))!.prot);
      expect(gpt.dirtyAt(hpa(pte))).toBe(false);
      const d = gpt.decodeAt(hpa(pte), 'leaf');
      expect(d.present).toBe(true);
      expect(d.fields.find((f) => f.name === 'ADDR')?.value).toBe(guest[0] * 4096);
      expect(gpt.mapAt(gpa(0x10_1000), guest[0], PROT_RW, 'wb')).toBe('exists');
      expect(() => gpt.mapAt(gpa(0x10_1000), guest[1], PROT_RW, 'wb')).toThrow(InvariantError);
      expect(gpt.lookup(gpa(0x10_1000))!.frame).toBe(guest[0]);
      expect(gpt.unmap(gpa(0x10_1000))).toBe(true);
      expect(gpt.unmap(gpa(0x10_1000))).toBe(false);
      expect(gpt.translate(gpa(0x10_1000), 'read')).toBe(-1);
    });

    it('hands the dying leaf A/D to the frame attributes', () => {
      const { gpt, guest, pmap } = makeRig(fmt);
      gpt.populate(gpa(0), 0x1000);
      gpt.mapAt(gpa(0), guest[2], PROT_RW, 'wb');
      gpt.markAccessed(hpa(gpt.translate(gpa(0), 'write')), true);
      expect(pmap.isModified(guest[2])).toBe(false);
      gpt.unmap(gpa(0));
      expect(pmap.isReferenced(guest[2])).toBe(true);
      expect(pmap.isModified(guest[2])).toBe(true);
    });

    it('vacate refuses mapped pages, then frees empty tables up to the root', () => {
      const { gpt, guest, pool } = makeRig(fmt);
      gpt.populate(gpa(3 * GB), 4 * MB2);
      expect(gpt.tables.tableCount).toBe(1 + 1 + 1 + 4);
      gpt.mapAt(gpa(3 * GB + MB2), guest[0], PROT_ALL, 'wb');
      expect(() => gpt.vacate(gpa(3 * GB), 4 * MB2)).toThrow(InvariantError);
      gpt.unmap(gpa(3 * GB + MB2));
      gpt.vacate(gpa(3 * GB), 2 * MB2); // half: two leaf tables go
      expect(gpt.tables.tableCount).toBe(1 + 1 + 1 + 2);
      gpt.vacate(gpa(3 * GB + 2 * MB2), 2 * MB2);
      expect(gpt.tables.tableCount).toBe(1);
      expect(pool.stats.inUse).toBe(1);
      expect(() => gpt.vacate(gpa(3 * GB), 0x1000)).toThrow(InvariantError); // not populated
    });

    it('refuses to populate a page twice', () => {
      const { gpt } = makeRig(fmt);
      gpt.populate(gpa(0x5000), 0x3000);
      expect(() => gpt.populate(gpa(0x7000), 0x2000)).toThrow(InvariantError);
    });

    it('walks and advances through existing leaf slots only, skipping absent subtrees', () => {
      const { gpt } = makeRig(fmt);
      const regions: [number, number][] = [
        [GB - MB2, MB2],
        [GB, 0x1000],
        [5 * 512 * GB + 7 * GB, 0x3000],
        [2 ** 48 - MB2, MB2],
      ];
      for (const [a, n] of regions) gpt.populate(gpa(a), n);
      const path = newWalkPath();
      expect(gpt.walk(gpa(GB + 0x5000), path)).toBe(1);
      expect(path[1]).toBe(gpt.leafPte(gpa(GB + 0x5000)));
      expect(gpt.walk(gpa(2 * GB), path)).toBe(3);
      expect(path[2]).toBe(NO_ENTRY);
      // every slot of the four leaf tables, in order, nothing else
      const seen: number[] = [];
      const it = gpt.iterate(gpa(0), 2 ** 48);
      while (it.next()) {
        expect(it.pte).toBe(gpt.leafPte(gpa(it.gpa)));
        seen.push(it.gpa);
      }
      const starts = [GB - MB2, GB, 5 * 512 * GB + 6 * GB + GB, 2 ** 48 - MB2];
      expect(seen.length).toBe(4 * 512);
      for (let t = 0; t < 4; t++)
        for (let i = 0; i < 512; i += 97) expect(seen[t * 512 + i]).toBe(starts[t] + i * 4096);
      expect(seen.every((g, i) => i === 0 || g > seen[i - 1])).toBe(true);
      // walk-advance off the last slot of the address space ends the walk
      gpt.walk(gpa(2 ** 48 - 0x1000), path);
      expect(gpt.walkAdvance(gpa(2 ** 48 - 0x1000), path)).toBe(GPA_END);
      // a sub-range iteration stays inside it
      const sub = gpt.iterate(gpa(GB - 0x2000), 0x3000);
      const got: Gpa[] = [];
      while (sub.next()) got.push(sub.gpa as Gpa);
      expect(got).toEqual([GB - 0x2000, GB - 0x1000, GB]);
    });

    it('explains a walk level by level', () => {
      const { gpt, guest } = makeRig(fmt);
      gpt.populate(gpa(5 * GB + 0x7000), 0x1000);
      gpt.mapAt(gpa(5 * GB + 0x7000), guest[1], PROT_RW, 'wb');
      const steps = gpt.explain(gpa(5 * GB + 0x7123));
      expect(steps.map((s) => s.level)).toEqual([4, 3, 2, 1]);
      expect(steps.map((s) => s.decoded.kind)).toEqual(['table', 'table', 'table', 'leaf']);
      expect(steps.every((s) => s.decoded.present)).toBe(true);
      expect(steps[0].pte).toBe(gpt.rootFrame * 4096); // root index 0
      expect(steps[1].pte % 4096).toBe(5 * 8); // level-3 index 5
      expect(steps[3].pte).toBe(gpt.leafPte(gpa(5 * GB + 0x7000)));
      expect(steps[3].decoded.fields.find((f) => f.name === 'ADDR')?.value).toBe(guest[1] * 4096);
      const miss = gpt.explain(gpa(9 * GB));
      expect(miss.map((s) => [s.level, s.decoded.present])).toEqual([
        [4, true],
        [3, false],
      ]);
    });

    it('never folds an address beyond 48 bits into the tree', () => {
      const { gpt, guest } = makeRig(fmt);
      gpt.populate(gpa(0x1000), 0x1000);
      gpt.mapAt(gpa(0x1000), guest[0], PROT_RW, 'wb');
      for (const a of [2 ** 48 + 0x1000, 2 ** 52 + 0x1000, -0x1000]) {
        expect(gpt.translate(gpa(a), 'read')).toBe(-4);
        expect(gpt.lookup(gpa(a))).toBeNull();
        expect(gpt.leafPte(gpa(a))).toBe(NO_ENTRY);
        expect(gpt.unmap(gpa(a))).toBe(false);
      }
      expect(gpt.lookup(gpa(0x1000))!.frame).toBe(guest[0]);
    });

    it('maps above 4 GiB and at the top of the 48-bit space', () => {
      const { gpt, guest } = makeRig(fmt);
      for (const a of [0x1_2345_6000, 2 ** 48 - 0x1000]) {
        gpt.populate(gpa(a), 0x1000);
        expect(gpt.mapAt(gpa(a), guest[3], PROT_RW, 'wb')).toBe('mapped');
        expect(gpt.lookup(gpa(a))!.frame).toBe(guest[3]);
        expect(gpt.translate(gpa(a), 'write')).toBe(gpt.leafPte(gpa(a)));
      }
    });

    it('sets, queries and resets Accessed and Dirty', () => {
      const { gpt, guest } = makeRig(fmt);
      gpt.populate(gpa(0), 0x4000);
      gpt.mapAt(gpa(0x1000), guest[0], PROT_RW, 'wb');
      gpt.mapAt(gpa(0x2000), guest[1], PROT_READ, 'wb');
      const p1 = hpa(gpt.translate(gpa(0x1000), 'read'));
      const p2 = hpa(gpt.translate(gpa(0x2000), 'read'));
      expect([gpt.isAccessed(gpa(0x1000)), gpt.isDirty(gpa(0x1000))]).toEqual([false, false]);
      gpt.markAccessed(p1, false);
      expect([gpt.isAccessed(gpa(0x1000)), gpt.isDirty(gpa(0x1000))]).toEqual([true, false]);
      gpt.markAccessed(p1, true);
      gpt.markAccessed(p2, true); // read-only: accessed but never dirty
      expect([gpt.isAccessed(gpa(0x1000)), gpt.isDirty(gpa(0x1000))]).toEqual([true, true]);
      expect([gpt.isAccessed(gpa(0x2000)), gpt.isDirty(gpa(0x2000))]).toEqual([true, false]);
      expect(gpt.resetDirty(gpa(0x1000))).toBe(true);
      expect(gpt.resetDirty(gpa(0x1000))).toBe(false);
      expect(gpt.isAccessed(gpa(0x1000))).toBe(true);
      gpt.markAccessed(p1, true);
      expect(gpt.resetAccessed(gpa(0x1000))).toBe(true);
      expect([gpt.isAccessed(gpa(0x1000)), gpt.isDirty(gpa(0x1000))]).toEqual([false, false]);
      expect(gpt.resetAccessed(gpa(0x3000))).toBe(false); // not mapped
      expect(gpt.lookup(gpa(0x1000))!.prot & PROT_RW).toBe(PROT_RW); // A/D never touched rights
    });

    it('sets Accessed in every pointer the walk uses where the format has one, and in the leaf', () => {
      const { gpt, guest } = makeRig(fmt);
      gpt.populate(gpa(GB + MB2), 0x2000);
      gpt.populate(gpa(0), 0x1000); // another path, never walked
      gpt.mapAt(gpa(GB + MB2), guest[0], PROT_RW, 'wb');
      gpt.mapAt(gpa(0), guest[1], PROT_RW, 'wb');
      const accessedAt = (g: number): boolean[] =>
        gpt
          .explain(gpa(g))
          .map((s) => s.decoded.fields.some((f) => ['A', 'AF'].includes(f.name) && f.value === 1));
      expect(accessedAt(GB + MB2)).toEqual([false, false, false, false]);
      gpt.markAccessed(hpa(gpt.translate(gpa(GB + MB2), 'read')), false);
      const above = fmt.tablesAccessed;
      expect(fmt.tablesAccessed).toBe(fmt.name !== 's2'); // stage-2 table descriptors have no AF
      expect(accessedAt(GB + MB2)).toEqual([above, above, above, true]);
      expect(accessedAt(0)).toEqual([above, false, false, false]); // the root entry is shared; the rest was never walked
      // a reset clears the leaf only; the next walk sets it again and leaves the pointers as they are
      gpt.resetAccessed(gpa(GB + MB2));
      expect(accessedAt(GB + MB2)).toEqual([above, above, above, false]);
      gpt.markAccessed(hpa(gpt.translate(gpa(GB + MB2), 'write')), true);
      expect(accessedAt(GB + MB2)).toEqual([above, above, above, true]);
      expect(gpt.isDirty(gpa(GB + MB2))).toBe(true);
      gpt.checkInvariants();
    });

    it('harvests dirty pages into a bitmap (get and clear)', () => {
      const { gpt, guest } = makeRig(fmt);
      const base = GB - 0x8000; // crosses a 1 GiB boundary
      gpt.populate(gpa(base), 0x10000);
      for (let i = 0; i < 16; i++) gpt.mapAt(gpa(base + i * 0x1000), guest[i % 8], PROT_RW, 'wb');
      for (const i of [0, 3, 7, 8, 15])
        gpt.markAccessed(hpa(gpt.translate(gpa(base + i * 0x1000), 'write')), true);
      gpt.markAccessed(hpa(gpt.translate(gpa(base + 0x4000), 'read')), false);
      const bm = new Uint8Array(2);
      expect(gpt.harvestDirty(gpa(base), 0x10000, bm)).toBe(5);
      expect([...bm]).toEqual([0b1000_1001, 0b1000_0001]);
      expect(gpt.harvestDirty(gpa(base), 0x10000, new Uint8Array(2))).toBe(0);
      for (let i = 0; i < 16; i++) expect(gpt.isDirty(gpa(base + i * 0x1000))).toBe(false);
      expect(gpt.isAccessed(gpa(base))).toBe(true); // harvest keeps Accessed
      expect(() => gpt.harvestDirty(gpa(base), 0x10000, new Uint8Array(1))).toThrow(InvariantError);
    });

    it('unmapRegion counts what it unmapped', () => {
      const { gpt, guest } = makeRig(fmt);
      gpt.populate(gpa(MB2 - 0x4000), 0x8000);
      for (let i = 0; i < 8; i += 2) gpt.mapAt(gpa(MB2 - 0x4000 + i * 0x1000), guest[i], PROT_RW, 'wb');
      expect(gpt.unmapRegion(gpa(MB2 - 0x3000), 0x6000)).toBe(3);
      expect(gpt.lookup(gpa(MB2 - 0x4000))).not.toBeNull();
      expect(gpt.unmapRegion(gpa(0), 2 * MB2)).toBe(1);
    });

    it('emits events when the sink is enabled', () => {
      const log = new EventLog();
      const { gpt, guest } = makeRig(fmt, { sink: log });
      gpt.populate(gpa(0x1000), 0x1000);
      gpt.mapAt(gpa(0x1000), guest[0], PROT_RW, 'wb');
      gpt.markAccessed(hpa(gpt.translate(gpa(0x1000), 'write')), true);
      gpt.resetDirty(gpa(0x1000));
      gpt.unmap(gpa(0x1000));
      gpt.vacate(gpa(0x1000), 0x1000);
      const gptTypes = new Set([
        'populate',
        'vacate',
        'table-alloc',
        'table-free',
        'map',
        'unmap',
        'ad-set',
        'ad-reset',
      ]);
      const types = log.events.map((e) => e.type).filter((t) => gptTypes.has(t));
      expect(types).toEqual([
        'table-alloc', // root
        'table-alloc',
        'table-alloc',
        'table-alloc',
        'populate',
        'map',
        'ad-set',
        'ad-reset',
        'unmap',
        'table-free',
        'table-free',
        'table-free',
        'vacate',
      ]);
      expect(log.events.find((e) => e.type === 'map')).toMatchObject({
        gpa: 0x1000,
        hfn: guest[0],
        prot: PROT_RW,
      });
    });

    it('free unmaps, frees every table and leaves the pmap', () => {
      const { gpt, guest, pmap, pool } = makeRig(fmt);
      gpt.populate(gpa(0), 3 * MB2);
      gpt.populate(gpa(7 * GB), 0x1000);
      gpt.mapAt(gpa(0x3000), guest[0], PROT_RW, 'wb');
      gpt.mapAt(gpa(7 * GB), guest[1], PROT_RW, 'wb');
      const id = gpt.ownerId;
      gpt.free();
      expect(pool.stats.inUse).toBe(0);
      expect(pmap.mappingCount(guest[0])).toBe(0);
      expect(pmap.isOwner(id)).toBe(false);
      expect(gpt.isFreed).toBe(true);
      expect(() => gpt.free()).toThrow(InvariantError);
      pmap.checkInvariants();
    });
  },
);

describe('refused region changes leave the tree as it was', () => {
  it('a populate overlapping a populated page changes nothing', () => {
    const { gpt } = makeRig(FORMATS.ept);
    gpt.populate(gpa(MB2 + 0x5000), 0x1000);
    const before = gpt.tables.tableCount;
    expect(() => gpt.populate(gpa(0), MB2 + 0x6000)).toThrow(InvariantError);
    expect(gpt.tables.tableCount).toBe(before);
    expect(gpt.tables.findNode(0, 1)).toBeNull();
    gpt.checkInvariants();
  });
  it('a vacate over a mapped page changes nothing', () => {
    const { gpt, guest } = makeRig(FORMATS.npt);
    gpt.populate(gpa(0), 2 * MB2);
    gpt.mapAt(gpa(MB2), guest[0], PROT_RW, 'wb');
    expect(() => gpt.vacate(gpa(0), 2 * MB2)).toThrow(InvariantError);
    expect(gpt.tables.tableCount).toBe(5);
    gpt.checkInvariants();
  });
});
