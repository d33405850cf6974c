/*
 * Property test: random sequences of populate / vacate / map / unmap / touch (the fill path's A/D
 * setting) / reset / harvest / disconnect / steal against a Map-based reference model, for each
 * entry format, with roomy and with tight host memory. After every step the GPT must agree with the
 * model page by page and pass the full invariant sweep.
 *
 * Stealing is the one thing the model cannot predict (the pool picks its victim), so after an
 * operation that may allocate a table, mappings may vanish -- but only whole leaf tables of them,
 * each now unbacked, with the region still populated. A dirty page lost that way (or to a
 * disconnect) is still owed to the next dirty-log harvest of its range.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gpa, hpa } from '../../../mmu/addr.js';
import { InvariantError } from '../../../mmu/checks.js';
import type { EntryFormat } from '../../../mmu/gpt/entry-format.js';
import { FORMATS, FORMAT_NAMES } from '../../../mmu/gpt/formats.js';
import { isCovered } from '../../../mmu/gpt/gpt-node.js';
import { TX_RIGHTS } from '../../../mmu/gpt/gpt-walk.js';
import { PROT_READ, PROT_WRITE } from '../../../mmu/prot.js';
import type { MemType } from '../../../mmu/prot.js';
import { makeRig } from './harness.js';
import type { Rig } from './harness.js';

const MB2 = 0x20_0000;
const GB = 0x4000_0000;
const AREAS = [
  { base: 0, pages: 1024 }, // two leaf tables under one level-2 table
  { base: GB - MB2 / 2, pages: 512 }, // straddles a 1 GiB boundary
  { base: 3 * 512 * GB + 5 * GB, pages: 512 }, // another root entry
  { base: 2 ** 48 - MB2, pages: 512 }, // the top of the space
];
const GUEST_FRAMES = 6;
/* Whole leaf tables lost to steals, summed over a configuration's runs (to prove steals happen). */
let lossCount = 0;
let runsWithLoss = 0;

type Op =
  | { op: 'populate' | 'vacate' | 'harvest'; area: number; off: number; n: number }
  | { op: 'map'; area: number; off: number; frame: number; prot: number; mt: MemType }
  | { op: 'unmap' | 'resetDirty' | 'resetAccessed'; area: number; off: number }
  | { op: 'touch'; area: number; off: number; write: boolean }
  | { op: 'disconnect'; frame: number }
  | { op: 'steal' };

const area = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: AREAS.length - 1 }));
const off = fc.oneof(
  fc.integer({ min: 0, max: 12 }),
  fc.integer({ min: 510, max: 516 }), // around the 2 MiB boundary of area 0, the middle of others
  fc.integer({ min: 0, max: 1023 }),
);
const n = fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 600 }));
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('populate' as const), area, off, n }), weight: 3 },
  fc.record({ op: fc.constant('vacate' as const), area, off, n }),
  fc.record({ op: fc.constant('harvest' as const), area, off, n }),
  {
    arbitrary: fc.record({
      op: fc.constant('map' as const),
      area,
      off,
      frame: fc.integer({ min: 0, max: GUEST_FRAMES - 1 }),
      prot: fc.integer({ min: 1, max: 7 }),
      mt: fc.constantFrom<MemType>('wb', 'uc'),
    }),
    weight: 6,
  },
  fc.record({
    op: fc.constantFrom('unmap' as const, 'resetDirty' as const, 'resetAccessed' as const),
    area,
    off,
  }),
  { arbitrary: fc.record({ op: fc.constant('touch' as const), area, off, write: fc.boolean() }), weight: 2 },
  fc.record({ op: fc.constant('disconnect' as const), frame: fc.integer({ min: 0, max: GUEST_FRAMES - 1 }) }),
  fc.record({ op: fc.constant('steal' as const) }),
);

interface Leaf {
  frame: number;
  prot: number;
}

class Model {
  covered = new Set<number>();
  mapped = new Map<number, Leaf>();
  accessed = new Set<number>();
  dirty = new Set<number>();
  /* dirty pages whose leaf was cleared by disconnect or steal: owed to the next harvest */
  lostDirty = new Set<number>();
  /* the leaf at g is cleared behind the vmspace's back */
  lose(g: number): void {
    if (this.dirty.has(g)) this.lostDirty.add(g);
    this.drop(g);
  }
  drop(g: number): void {
    this.mapped.delete(g);
    this.accessed.delete(g);
    this.dirty.delete(g);
  }
}

/* [first gpa, page count] of an op's range, clipped to its area. */
function range(o: { area: number; off: number; n?: number }): [number, number] {
  const a = AREAS[o.area];
  const first = o.off % a.pages;
  return [a.base + first * 4096, Math.min(o.n ?? 1, a.pages - first)];
}

function step(rig: Rig, m: Model, o: Op): boolean {
  const { gpt, guest, pmap, pool } = rig;
  switch (o.op) {
    case 'populate': {
      const [g, k] = range(o);
      const pages = Array.from({ length: k }, (_, i) => g + i * 4096);
      if (pages.some((p) => m.covered.has(p))) {
        expect(() => gpt.populate(gpa(g), k * 4096)).toThrow(InvariantError);
        return false;
      }
      expect(['ok', 'exhausted']).toContain(gpt.populate(gpa(g), k * 4096).kind);
      for (const p of pages) m.covered.add(p);
      return true;
    }
    case 'vacate': {
      const [g, k] = range(o);
      const pages = Array.from({ length: k }, (_, i) => g + i * 4096);
      if (pages.some((p) => !m.covered.has(p))) {
        expect(() => gpt.vacate(gpa(g), k * 4096)).toThrow(InvariantError);
        return false;
      }
      expect(gpt.unmapRegion(gpa(g), k * 4096)).toBe(pages.filter((p) => m.mapped.has(p)).length);
      gpt.vacate(gpa(g), k * 4096);
      for (const p of pages) {
        m.covered.delete(p);
        m.lostDirty.delete(p);
        m.drop(p);
      }
      return false;
    }
    case 'map': {
      const [g] = range(o);
      const frame = guest[o.frame];
      const had = m.mapped.get(g);
      if (had !== undefined && had.frame !== frame) {
        expect(() => gpt.mapAt(gpa(g), frame, o.prot, o.mt)).toThrow(InvariantError);
        return false;
      }
      const r = gpt.mapAt(gpa(g), frame, o.prot, o.mt);
      if (!m.covered.has(g)) expect(r).toBe('unpopulated');
      else if (had !== undefined) expect(r).toBe('exists');
      else {
        expect(['mapped', 'exhausted']).toContain(r);
        if (r === 'mapped') {
          const info = gpt.lookup(gpa(g))!;
          expect(info.frame).toBe(frame);
          expect(info.memType).toBe(o.mt);
          m.mapped.set(g, { frame, prot: info.prot });
        }
      }
      return true;
    }
    case 'unmap': {
      const [g] = range(o);
      expect(gpt.unmap(gpa(g))).toBe(m.mapped.has(g));
      m.drop(g);
      return false;
    }
    case 'touch': {
      const [g] = range(o);
      const code = gpt.translate(gpa(g), o.write ? 'write' : 'read');
      const leaf = m.mapped.get(g);
      const need = o.write ? PROT_WRITE : PROT_READ;
      if (leaf === undefined) expect(code).toBeLessThan(0);
      else if ((leaf.prot & need) === 0) expect(code).toBe(TX_RIGHTS);
      else {
        expect(code).toBe(gpt.leafPte(gpa(g)));
        gpt.markAccessed(hpa(code), o.write);
        m.accessed.add(g);
        if (o.write) m.dirty.add(g);
      }
      return false;
    }
    case 'resetDirty': {
      const [g] = range(o);
      expect(gpt.resetDirty(gpa(g))).toBe(m.dirty.has(g));
      m.dirty.delete(g);
      return false;
    }
    case 'resetAccessed': {
      const [g] = range(o);
      expect(gpt.resetAccessed(gpa(g))).toBe(m.accessed.has(g));
      m.accessed.delete(g);
      m.dirty.delete(g);
      return false;
    }
    case 'harvest': {
      const [g, k] = range(o);
      const bm = new Uint8Array(Math.ceil(k / 8));
      const want = [...new Set([...m.dirty, ...m.lostDirty])]
        .filter((p) => p >= g && p < g + k * 4096)
        .sort((a, b) => a - b);
      expect(gpt.harvestDirty(gpa(g), k * 4096, bm)).toBe(want.length);
      const got: number[] = [];
      for (let i = 0; i < k; i++) if (bm[i >> 3] & (1 << (i & 7))) got.push(g + i * 4096);
      expect(got).toEqual(want);
      for (const p of want) {
        m.dirty.delete(p);
        m.lostDirty.delete(p);
      }
      return false;
    }
    case 'disconnect': {
      const frame = guest[o.frame];
      const victims = [...m.mapped].filter(([, l]) => l.frame === frame).map(([p]) => p);
      expect(pmap.mappingCount(frame)).toBe(victims.length);
      expect(pmap.disconnect(frame)).toBe(victims.length);
      for (const p of victims) m.lose(p);
      return false;
    }
    case 'steal':
      pool.steal();
      return true;
  }
}

/* Compare GPT and model; mappings missing from the GPT must be whole stolen leaf tables. */
function reconcile(rig: Rig, fmt: EntryFormat, m: Model, mayLose: boolean): void {
  const { gpt } = rig;
  const actual = new Map<number, number>();
  for (const a of AREAS) {
    const it = gpt.iterate(gpa(a.base), a.pages * 4096);
    while (it.next()) {
      const lo = gpt.mem.u32[it.pte >>> 2];
      const hi = gpt.mem.u32[(it.pte >>> 2) + 1];
      if (fmt.isPresent(lo, hi)) actual.set(it.gpa, fmt.frameOf(lo, hi));
    }
  }
  // plain comparisons in the loops, one expect per property: expect() itself is slow
  const wrongFrame = [...actual].filter(([g, f]) => m.mapped.get(g)?.frame !== f);
  expect(wrongFrame).toEqual([]);
  const lost = [...m.mapped.keys()].filter((g) => !actual.has(g));
  if (!mayLose) expect(lost).toEqual([]);
  const lostTables = new Set(lost.map((g) => g - (g % MB2)));
  for (const g of lost) m.lose(g);
  expect(gpt.tables.lostDirtyPages).toBe(m.lostDirty.size);
  lossCount += lostTables.size;
  expect([...lostTables].filter((t) => gpt.tables.findNode(t, 1)!.backed)).toEqual([]);
  const badAd = [...actual.keys()].filter((g) => {
    const info = gpt.lookup(gpa(g))!;
    return info.accessed !== m.accessed.has(g) || info.dirty !== m.dirty.has(g);
  });
  expect(badAd).toEqual([]);
  const badCover: number[] = [];
  for (const a of AREAS)
    for (let i = 0; i < a.pages; i++) {
      const g = a.base + i * 4096;
      const node = gpt.tables.findNode(g, 1);
      if ((node !== null && isCovered(node, (g / 4096) & 511)) !== m.covered.has(g)) badCover.push(g);
    }
  expect(badCover).toEqual([]);
  gpt.checkInvariants();
}

/*
 * Every sequence starts by populating a page in each leaf table of area 0 and mapping both: with
 * tight memory the second map must steal the first table, so every tight run meets a steal.
 */
const PRELUDE: Op[] = [
  { op: 'populate', area: 0, off: 1, n: 1 },
  { op: 'populate', area: 0, off: 513, n: 1 },
  { op: 'map', area: 0, off: 1, frame: 0, prot: 3, mt: 'wb' },
  { op: 'map', area: 0, off: 513, frame: 1, prot: 3, mt: 'wb' },
];

const configs = [
  { name: 'roomy', frames: GUEST_FRAMES + 64, reserve: 2 },
  { name: 'tight', frames: GUEST_FRAMES + 4, reserve: 0 },
];

describe.each(FORMAT_NAMES.map((nm) => [nm, FORMATS[nm]] as [string, EntryFormat]))(
  'GPT model check, %s',
  (_nm, fmt) => {
    it.each(configs)('random operation sequences agree with the model ($name host memory)', (cfg) => {
      lossCount = 0;
      runsWithLoss = 0;
      fc.assert(
        fc.property(fc.array(opArb, { minLength: 1, maxLength: 40 }), (ops) => {
          const rig = makeRig(fmt, { frames: cfg.frames, guestFrames: GUEST_FRAMES, reserve: cfg.reserve });
          const m = new Model();
          const before = lossCount;
          for (const o of [...PRELUDE, ...ops]) reconcile(rig, fmt, m, step(rig, m, o));
          if (lossCount > before) runsWithLoss++;
          rig.gpt.free();
          expect(rig.pool.stats.inUse).toBe(0);
          rig.pmap.checkInvariants(rig.frames);
        }),
        { numRuns: 100 },
      );
      // tight memory must actually have exercised stealing (pool-picked victims lost their leaves)
      if (cfg.name === 'tight') expect(runsWithLoss).toBe(100);
    });
  },
);
