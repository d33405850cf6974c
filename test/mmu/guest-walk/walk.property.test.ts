/*
 * Property tests: random mappings installed by the reference builders, random accesses walked, and
 * every result (translation, fault kind and level, rights) and every Accessed/Dirty/AF/AP bit left
 * in guest RAM compared with a Map-based model after each step.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gva } from '../../../mmu/addr.js';
import { walkArm64, walkX86, type WalkResult } from '../../../mmu/guest-walk/index.js';
import { PROT_EXEC, PROT_READ, PROT_WRITE, accessProt, type AccessKind } from '../../../mmu/prot.js';
import { Arm64Builder, FlatRam, X86Builder } from './fakes.js';

const MiB = 1 << 20;
const ACCESSES: AccessKind[] = ['read', 'write', 'exec'];

/* A small VA space (few indices per level) so that mappings share tables and collide often. */
const idxArb = fc.constantFrom(0, 1, 2, 511);

interface Op {
  idx: number[]; // four table indices, top level first
  offset: number;
  access: AccessKind;
  user: boolean;
  dry: boolean;
}
const opArb: fc.Arbitrary<Op> = fc.record({
  idx: fc.tuple(idxArb, idxArb, idxArb, idxArb),
  offset: fc.integer({ min: 0, max: 4095 }),
  access: fc.constantFrom(...ACCESSES),
  user: fc.boolean(),
  dry: fc.boolean(),
});

/* ---------------------------------------------------------------- x86-64 ----------------- */

interface X86Map {
  va: number;
  level: number; // 1, 2, 3
  pa: number;
  rw: boolean;
  us: boolean;
  xd: boolean;
  a: boolean;
  d: boolean;
  entry: number;
}

const x86MapArb = fc.record({
  idx: fc.tuple(idxArb, idxArb, idxArb, idxArb),
  level: fc.constantFrom(1, 1, 1, 2, 3),
  frame: fc.integer({ min: 0, max: 1023 }),
  rw: fc.boolean(),
  us: fc.boolean(),
  xd: fc.boolean(),
});

const x86Size = (l: number) => 2 ** (12 + 9 * (l - 1));
const x86Va = (idx: number[]) => idx.reduce((va, i, k) => va + i * x86Size(4 - k), 0);

describe('x86-64 walk agrees with a Map-based model', () => {
  it('random mappings, random accesses: results and A/D bits', () => {
    fc.assert(
      fc.property(
        fc.array(x86MapArb, { maxLength: 12 }),
        fc.array(opArb, { minLength: 1, maxLength: 40 }),
        (specs, ops) => {
          const ram = new FlatRam(0, 4 * MiB);
          const b = new X86Builder(ram, 0x10_0000);
          const maps: X86Map[] = [];
          for (const s of specs) {
            const size = x86Size(s.level);
            const va = x86Va(s.idx) - (x86Va(s.idx) % size);
            const overlaps = maps.some((m) => {
              const big = Math.max(size, x86Size(m.level));
              return Math.floor(m.va / big) === Math.floor(va / big);
            });
            if (overlaps) continue;
            const pa = s.frame * size;
            const entry = b.map(va, pa, s.level, (s.rw ? 2 : 0) | (s.us ? 4 : 0), s.xd);
            maps.push({ va, level: s.level, pa, rw: s.rw, us: s.us, xd: s.xd, a: false, d: false, entry });
          }
          // table entries above the leaves, with the model's Accessed flag for each
          const tableA = new Map<number, boolean>();
          for (const m of maps) for (let l = 4; l > m.level; l--) tableA.set(b.entryAt(m.va, l), false);
          const cfg = { cr3: b.root, wp: true, nxe: true };
          for (const op of ops) {
            const va = x86Va(op.idx) + op.offset;
            const signed = va >= 2 ** 47 ? va - 2 ** 48 : va; // high half: sign-extended form
            const r = walkX86(ram, cfg, gva(signed), op.access, op.user, { dryRun: op.dry });
            checkX86(r, va, op, maps, tableA, b);
            for (const m of maps) {
              expect(!!(ram.lo(m.entry) & 0x20), 'leaf A').toBe(m.a);
              expect(!!(ram.lo(m.entry) & 0x40), 'leaf D').toBe(m.d);
            }
            for (const [e, a] of tableA) expect(!!(ram.lo(e) & 0x20), 'table A').toBe(a);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

function checkX86(
  r: WalkResult,
  va: number,
  op: Op,
  maps: X86Map[],
  tableA: Map<number, boolean>,
  b: X86Builder,
) {
  const share = (m: X86Map, l: number) => Math.floor(m.va / x86Size(l)) === Math.floor(va / x86Size(l));
  // descend the model: which level ends the walk?
  let level = 4;
  for (; level >= 1; level--) {
    const here = maps.filter((m) => m.level <= level && share(m, level));
    if (here.length === 0) {
      expect(r).toMatchObject({ kind: 'guest-fault', reason: 'not-present', level });
      return;
    }
    const leaf = here.find((m) => m.level === level);
    if (leaf !== undefined) break;
    if (!op.dry) tableA.set(b.entryAt(va, level), true);
  }
  const m = maps.find((x) => x.level === level && share(x, level))!;
  const prot = op.user
    ? m.us
      ? PROT_READ | (m.rw ? PROT_WRITE : 0) | (m.xd ? 0 : PROT_EXEC)
      : 0
    : PROT_READ | (m.rw ? PROT_WRITE : 0) | (m.xd ? 0 : PROT_EXEC);
  if ((prot & accessProt(op.access)) === 0) {
    expect(r).toMatchObject({ kind: 'guest-fault', reason: 'protection', level: m.level });
    return;
  }
  expect(r).toMatchObject({ kind: 'ok', gpa: m.pa + (va % x86Size(m.level)), level: m.level, prot });
  if (!op.dry) {
    m.a = true;
    if (op.access === 'write') m.d = true;
  }
}

/* ---------------------------------------------------------------- arm64 ------------------ */

interface A64Map {
  va: number;
  level: number; // 1, 2, 3
  pa: number;
  ap: number;
  uxn: boolean;
  pxn: boolean;
  af: boolean;
  dbm: boolean;
  entry: number;
}

const a64MapArb = fc.record({
  idx: fc.tuple(idxArb, idxArb, idxArb, idxArb),
  level: fc.constantFrom(3, 3, 3, 2, 1),
  frame: fc.integer({ min: 0, max: 1023 }),
  ap: fc.integer({ min: 0, max: 3 }),
  uxn: fc.boolean(),
  pxn: fc.boolean(),
  af: fc.boolean(),
  dbm: fc.boolean(),
});

const a64Size = (l: number) => 2 ** (12 + 9 * (3 - l));
const a64Va = (idx: number[]) => idx.reduce((va, i, k) => va + i * a64Size(k), 0);
const BASE = 0x4000_0000;

/* Rights straight from the Arm ARM's AP[2:1] table (no WXN, no PAN). */
const EL1_RW = [true, true, false, false];
const EL0_R = [false, true, false, true];
const EL0_W = [false, true, false, false];

describe('arm64 stage-1 walk agrees with a Map-based model', () => {
  it('random mappings, random accesses, random HA/HD: results, AF and dirty state', () => {
    fc.assert(
      fc.property(
        fc.array(a64MapArb, { maxLength: 12 }),
        fc.array(opArb, { minLength: 1, maxLength: 40 }),
        fc.boolean(),
        fc.boolean(),
        (specs, ops, ha, hd) => {
          const ram = new FlatRam(BASE, 4 * MiB);
          const b = new Arm64Builder(ram, BASE + 0x10_0000);
          const maps: A64Map[] = [];
          for (const s of specs) {
            const size = a64Size(s.level);
            const va = a64Va(s.idx) - (a64Va(s.idx) % size);
            const overlaps = maps.some((m) => {
              const big = Math.max(size, a64Size(m.level));
              return Math.floor(m.va / big) === Math.floor(va / big);
            });
            if (overlaps) continue;
            const pa = BASE + s.frame * 4096 - ((BASE + s.frame * 4096) % size);
            const lo = (s.ap << 6) | (s.af ? 1 << 10 : 0);
            const hi = (s.dbm ? 1 << 19 : 0) | (s.pxn ? 1 << 21 : 0) | (s.uxn ? 1 << 22 : 0);
            const entry = b.map(va, pa, s.level, lo, hi);
            maps.push({
              va,
              level: s.level,
              pa,
              ap: s.ap,
              uxn: s.uxn,
              pxn: s.pxn,
              af: s.af,
              dbm: s.dbm,
              entry,
            });
          }
          const cfg = { ttbr0: b.root, t0sz: 16, ha, hd };
          for (const op of ops) {
            const va = a64Va(op.idx) + op.offset;
            const r = walkArm64(ram, cfg, gva(va), op.access, op.user, { dryRun: op.dry });
            checkA64(r, va, op, maps, ha, ha && hd);
            for (const m of maps) {
              expect(!!(ram.lo(m.entry) & (1 << 10)), 'AF').toBe(m.af);
              expect((ram.lo(m.entry) >>> 6) & 3, 'AP').toBe(m.ap);
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

function checkA64(r: WalkResult, va: number, op: Op, maps: A64Map[], ha: boolean, hd: boolean) {
  const share = (m: A64Map, l: number) => Math.floor(m.va / a64Size(l)) === Math.floor(va / a64Size(l));
  let level = 0;
  for (; level <= 3; level++) {
    const here = maps.filter((m) => m.level >= level && share(m, level));
    if (here.length === 0) {
      expect(r).toMatchObject({ kind: 'guest-fault', reason: 'not-present', level, code: 4 + level });
      return;
    }
    if (here.some((m) => m.level === level)) break;
  }
  const m = maps.find((x) => x.level === level && share(x, level))!;
  if (!m.af && !ha) {
    expect(r).toMatchObject({ kind: 'guest-fault', reason: 'access-flag', level });
    return;
  }
  const ap = hd && m.dbm && op.access === 'write' ? m.ap & 1 : m.ap;
  const prot = op.user
    ? (EL0_R[ap] ? PROT_READ : 0) | (EL0_W[ap] ? PROT_WRITE : 0) | (m.uxn ? 0 : PROT_EXEC)
    : PROT_READ | (EL1_RW[ap] ? PROT_WRITE : 0) | (m.pxn || EL0_W[ap] ? 0 : PROT_EXEC);
  if ((prot & accessProt(op.access)) === 0) {
    expect(r).toMatchObject({ kind: 'guest-fault', reason: 'protection', level, code: 12 + level });
    return;
  }
  expect(r).toMatchObject({ kind: 'ok', gpa: m.pa + (va % a64Size(level)), level, prot });
  if (!op.dry) {
    m.af = true;
    m.ap = ap;
  }
}
