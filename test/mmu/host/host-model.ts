/*
 * Reference-model runner for the host-layer property test: random sequences of host-layer operations against a Map-based reference model.
 *
 * The system under test is the real HostMemory + FrameAllocator + Pmap + TablePool, driven through
 * two FakeOwners. The model knows only plain facts: which guest frames the test holds, which tables
 * exist (owner, level, base, refcount, parent link), and which PTE location maps which frame. After
 * every step the implementation's full sweeps run and its answers are compared with the model's:
 * the set of PTEs mapping each frame, head kinds, PV entries in use (ceil(n/2) per list), refcounts,
 * ledgers, free-frame accounting. Steals are decided by the pool; the model checks that each victim
 * was a legal one (an unpinned leaf table, from the lowest threshold pass that had a candidate) and
 * then applies the steal itself.
 */

import { gpa, hfn } from '../../../mmu/addr.js';
import type { Hfn, Hpa } from '../../../mmu/addr.js';
import { EventLog } from '../../../mmu/events.js';
import type { MmuEvent } from '../../../mmu/events.js';
import { FrameAllocator } from '../../../mmu/host/frame-allocator.js';
import { HostMemory } from '../../../mmu/host/host-memory.js';
import { Pmap } from '../../../mmu/host/pmap.js';
import { TablePool } from '../../../mmu/host/table-pool.js';
import { FakeOwner } from './fake-owner.js';

type TableM = {
  owner: number;
  level: number;
  base: number;
  refs: number;
  parentPte: number | null;
  pinned: boolean;
};

const FRAMES = 40;
const DEVICE_FRAME = 0x10_0000; // above host RAM: an MMIO aperture

/* Cheap comparisons (vitest's expect is far too slow to call thousands of times per run). */
function eq(actual: unknown, wanted: unknown, what: string): void {
  const a = JSON.stringify(actual);
  const w = JSON.stringify(wanted);
  if (a !== w) throw new Error(`host model: ${what}: got ${a}, model says ${w}`);
}
function ok(cond: boolean, what: string): void {
  if (!cond) throw new Error(`host model: ${what}`);
}
function throws(fn: () => void, what: string): void {
  let threw = false;
  try {
    fn();
  } catch {
    threw = true;
  }
  ok(threw, what);
}

export type HostOp = [number, number, number, number];

export function runHostModel(ops: HostOp[]): void {
  const mem = new HostMemory(FRAMES * 4096);
  const log = new EventLog<MmuEvent>();
  const frames = new FrameAllocator(mem);
  const pmap = new Pmap(mem, log, {
    pv: { cpus: 2, batch: 2, ringSize: 4, lowWater: 2, initialCapacity: 2 },
  });
  const pool = new TablePool(frames, pmap, { reserve: 2, stealPasses: 64, sink: log });
  const owners = [new FakeOwner(pmap, pool), new FakeOwner(pmap, pool)];

  const guests = new Set<number>();
  const tables = new Map<number, TableM>();
  const leaves = new Map<number, number>(); // pte -> frame
  const ptrs = new Map<number, number>(); // pte -> child table

  const sorted = <T>(it: Iterable<T>): T[] => [...it].sort((a, b) => Number(a) - Number(b));
  const pick = <T>(xs: T[], n: number): T | undefined => (xs.length ? xs[n % xs.length] : undefined);
  const ownerOf = (id: number) => owners.find((o) => o.ownerId === id)!;
  const leavesIn = (t: number) => [...leaves.keys()].filter((p) => p >>> 12 === t);

  /* The pool stole table t: check it was a legal victim, then apply the steal to the model. */
  const applySteal = (t: number, cleared: number): void => {
    const m = tables.get(t);
    ok(m !== undefined, 'stolen frame was a table');
    eq(m!.level, 1, `level of victim ${t}`);
    eq(m!.pinned, false, `victim ${t} pinned`);
    const valid = leavesIn(t).length;
    eq(cleared, valid, 'cleared');
    const candidates = [...tables.entries()].filter(([, x]) => x.level === 1 && !x.pinned);
    const passOf = (v: number) => Math.max(1, Math.ceil((v * pool.stealPasses) / 512));
    const best = Math.min(...candidates.map(([f]) => passOf(leavesIn(f).length)));
    eq(passOf(valid), best, `steal pass of victim ${t}`);
    for (const p of leavesIn(t)) leaves.delete(p);
    if (m!.parentPte !== null) {
      ptrs.delete(m!.parentPte);
      tables.get(m!.parentPte >>> 12)!.refs--;
    }
    tables.delete(t);
  };

  const allocTable = (ownerIx: number, level: number, base: number): void => {
    const o = owners[ownerIx % 2];
    const stolenBefore = pool.stats.stolen;
    const mark = log.events.length;
    const t = pool.alloc(o.ownerId, level, gpa(base));
    const steals = log.events.slice(mark).filter((e) => e.type === 'table-steal');
    eq(steals.length, pool.stats.stolen - stolenBefore, 'steals.length');
    for (const s of steals) if (s.type === 'table-steal') applySteal(s.hfn, s.cleared);
    if (t === -1) {
      // Exhausted: no free frame anywhere and nothing stealable.
      eq(frames.freeCount, 0, 'frames.freeCount');
      eq(
        [...tables.values()].some((x) => x.level === 1 && !x.pinned),
        false,
        'exhausted although a leaf table was stealable',
      );
      return;
    }
    eq(tables.has(t), false, 'tables.has(t)');
    tables.set(t, { owner: o.ownerId, level, base, refs: 0, parentPte: null, pinned: false });
  };

  const step = ([kind, a, b, c]: [number, number, number, number]): void => {
    const tableList = sorted(tables.keys());
    switch (kind) {
      case 0: {
        const f = frames.alloc('guest');
        if (f === -1) eq(frames.freeCount, 0, 'frames.freeCount');
        else guests.add(f);
        break;
      }
      case 1: {
        // free a guest frame nobody maps
        const f = pick(
          sorted(guests).filter((g) => ![...leaves.values()].includes(g)),
          a,
        );
        if (f !== undefined) {
          frames.free(f as Hfn);
          guests.delete(f);
        }
        break;
      }
      case 2:
        allocTable(a, b % 3 === 0 ? 2 : 1, (c % 8) * 0x20_0000);
        break;
      case 3: {
        // free a table with no entries and refcount 0
        const t = pick(
          tableList.filter(
            (x) =>
              tables.get(x)!.refs === 0 &&
              leavesIn(x).length === 0 &&
              ![...ptrs.keys()].some((p) => p >>> 12 === x),
          ),
          a,
        );
        if (t === undefined) break;
        const m = tables.get(t)!;
        if (m.parentPte !== null) {
          ownerOf(m.owner).unlink(t);
          ptrs.delete(m.parentPte);
          tables.get(m.parentPte >>> 12)!.refs--;
        }
        pool.free(t as Hfn);
        tables.delete(t);
        break;
      }
      case 4:
      case 5: {
        // map: a leaf table entry -> a guest frame (or, rarely, a device frame)
        const t = pick(
          tableList.filter((x) => tables.get(x)!.level === 1),
          a,
        );
        if (t === undefined) break;
        const pte = t * 4096 + (b % 24) * 8;
        if (leaves.has(pte)) break;
        const g = pick(sorted(guests), c);
        const frame = c % 10 === 0 || g === undefined ? DEVICE_FRAME + (c % 3) : g;
        ownerOf(tables.get(t)!.owner).map(pte as Hpa, frame);
        leaves.set(pte, frame);
        break;
      }
      case 6: {
        const pte = pick(sorted(leaves.keys()), a);
        if (pte === undefined) break;
        ownerOf(tables.get(pte >>> 12)!.owner).unmap(pte as Hpa);
        leaves.delete(pte);
        break;
      }
      case 7: {
        // disconnect a guest frame
        const f = pick(sorted(guests), a);
        if (f === undefined) break;
        const expected = [...leaves.entries()].filter(([, fr]) => fr === f).map(([p]) => p);
        const heard: number[] = [];
        eq(
          pmap.disconnect(f as Hfn, (p) => heard.push(p)),
          expected.length,
          `disconnect count of frame ${f}`,
        );
        eq(sorted(heard), sorted(expected), `PTEs reported by disconnect of frame ${f}`);
        for (const p of expected) leaves.delete(p);
        break;
      }
      case 8: {
        // link an unlinked leaf table under an interior table of the same owner
        const l = pick(
          tableList.filter((x) => tables.get(x)!.level === 1 && tables.get(x)!.parentPte === null),
          a,
        );
        if (l === undefined) break;
        const lm = tables.get(l)!;
        const p = pick(
          tableList.filter((x) => tables.get(x)!.level === 2 && tables.get(x)!.owner === lm.owner),
          b,
        );
        if (p === undefined) break;
        const pte = p * 4096 + (c % 512) * 8;
        if (ptrs.has(pte)) break;
        ownerOf(lm.owner).link(p, c % 512, l);
        ptrs.set(pte, l);
        lm.parentPte = pte;
        tables.get(p)!.refs++;
        break;
      }
      case 9: {
        const t = pick(tableList, a);
        if (t === undefined) break;
        const m = tables.get(t)!;
        const delta = (b % 5) - 2;
        const links = [...tables.values()].filter(
          (x) => x.parentPte !== null && x.parentPte >>> 12 === t,
        ).length;
        if (m.refs + delta < 0) {
          throws(() => pmap.adjustRefcount(t as Hfn, delta), 'refcount underflow must throw');
        } else if (m.refs + delta >= links) {
          // (the owner's own child links keep their references)
          eq(pmap.adjustRefcount(t as Hfn, delta), m.refs + delta, 'pmap.adjustRefcount(t as Hfn, delta)');
          m.refs += delta;
        }
        break;
      }
      case 10: {
        const t = pick(tableList, a);
        if (t === undefined) break;
        const m = tables.get(t)!;
        if (b % 2 === 0) pool.pin(t as Hfn);
        else pool.unpin(t as Hfn);
        m.pinned = b % 2 === 0;
        break;
      }
      case 11: {
        const held = pool.heldCount - tables.size;
        const freed = pool.reap();
        eq(freed, held - Math.min(held, pool.stats.reserve), 'freed');
        break;
      }
      case 12:
        pmap.currentCpu = a % 2;
        break;
      case 13: {
        // explicit steal: a frame is left on the cache
        const mark = log.events.length;
        const cachedBefore = pool.stats.cached;
        const r = pool.steal();
        for (const s of log.events.slice(mark)) if (s.type === 'table-steal') applySteal(s.hfn, s.cleared);
        if (r !== -1) eq(pool.stats.cached, Math.max(cachedBefore, 1), 'pool.stats.cached');
        break;
      }
    }
  };

  const compare = (): void => {
    pmap.checkInvariants(frames);
    pool.checkInvariants();
    frames.checkInvariants();
    const byFrame = new Map<number, number[]>();
    for (const [p, f] of leaves) byFrame.set(f, [...(byFrame.get(f) ?? []), p]);
    let pvEntries = 0;
    for (let f = 0; f < FRAMES; f++) {
      const want = sorted(byFrame.get(f) ?? []);
      eq(sorted(pmap.mappings(hfn(f))), want, `PTEs mapping frame ${f}`);
      eq(pmap.mappingCount(hfn(f)), want.length, `mapping count of frame ${f}`);
      const kind = tables.has(f) ? 'table' : (['empty', 'single'][want.length] ?? 'list');
      eq(pmap.headKind(hfn(f)), kind, `head kind of frame ${f}`);
      if (want.length >= 2) pvEntries += Math.ceil(want.length / 2);
    }
    eq(pmap.pool.inUse, pvEntries, 'pmap.pool.inUse');
    eq(pmap.unmanagedLeaves, [...leaves.values()].filter((f) => f >= FRAMES).length, 'pmap.unmanagedLeaves');
    for (const [t, m] of tables) {
      eq(pmap.refcount(t as Hfn), m.refs, `refcount of table ${t}`);
      eq(
        [pmap.descOwner(t as Hfn), pmap.descLevel(t as Hfn), pmap.descBase(t as Hfn)],
        [m.owner, m.level, m.base],
        `descriptor of table ${t}`,
      );
      eq(pool.isInUse(t as Hfn), true, `table ${t} in use in the pool`);
    }
    for (const o of owners) {
      eq(
        pmap.tableFrames(o.ownerId),
        [...tables.values()].filter((m) => m.owner === o.ownerId).length,
        `ledger table frames of owner ${o.ownerId}`,
      );
      eq(
        pmap.mappedEntries(o.ownerId),
        [...leaves.keys()].filter((p) => tables.get(p >>> 12)!.owner === o.ownerId).length,
        `ledger mapped entries of owner ${o.ownerId}`,
      );
    }
    eq(pool.stats.inUse, tables.size, 'pool.stats.inUse');
    eq(frames.freeCount, FRAMES - guests.size - pool.heldCount, 'frames.freeCount');
  };

  compare();
  for (const op of ops) {
    step(op);
    compare();
  }
}
