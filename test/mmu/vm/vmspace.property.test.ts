/*
 * Property test: random sequences of map / unmap / populate / fault / touch (the fill hook's A/D
 * setting) / hold / release / chain / markDirty / harvest / Accessed reset / disconnect / vCPU
 * table enter and exit, against a simple reference model, for each entry format, with roomy and
 * with tight host memory. After every step: the full invariant sweeps (vmspace, GPT, pmap, pool,
 * frame allocator) and a comparison with the model:
 *   - mappings, object reference counts and lifetimes, reservoir use
 *   - demand allocation: exactly the object pages that a fault, hold or populate asked for have a
 *     host frame, no frame is any two pages', and the reservoir's in-use count is their number
 *     (roomy runs in the scattered layout with a random seed, tight runs in the identity layout)
 *   - fault / hold results, resident pages and each resident page's Accessed / Dirty bits
 *   - the dirty log (harvest bitmaps and counts are exact in both configurations)
 *   - the generation (exact for every operation that cannot allocate a table; in tight memory an
 *     allocating operation may also steal a table, which the model cannot predict: there the
 *     generation may move on, and the resident set is re-read from the GPT and must be a subset
 *     of what the model allows)
 *   - kicks of the ON_CPU vCPU (exactly one per stay on the CPU during which the generation moved)
 *   - hold counters and each client's outstanding holds
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gpa, hpa } from '../../../mmu/addr.js';
import { FORMATS, FORMAT_NAMES } from '../../../mmu/gpt/formats.js';
import { PROT_READ, PROT_WRITE } from '../../../mmu/prot.js';
import type { AccessKind, Prot } from '../../../mmu/prot.js';
import { PageHold } from '../../../mmu/vm/page-hold.js';
import type { VmClient } from '../../../mmu/vm/vm-client.js';
import { VmObject } from '../../../mmu/vm/vm-object.js';
import { makeVmRig } from './rig.js';
import type { VmRig } from './rig.js';

const P = 4096;
const MB2 = 0x20_0000;
const SLOTS = [0, MB2 - 2 * P, 0x4000_0000, 2 ** 47]; // the second straddles two leaf tables
const SLOT_PAGES = 8;

type Op =
  | {
      op: 'map';
      slot: number;
      k: number;
      len: number;
      off: number;
      extra: number;
      prot: number;
      mmio: boolean;
    }
  | { op: 'unmap'; i: number; bogus: boolean }
  | { op: 'populate'; i: number }
  | { op: 'fault'; slot: number; k: number; access: AccessKind; client: number }
  | { op: 'touch'; slot: number; k: number; write: boolean }
  | { op: 'hold'; slot: number; k: number; prot: number; defer: boolean; client: number }
  | { op: 'release' | 'markDirty'; i: number }
  | { op: 'chain'; i: number; j: number }
  | { op: 'harvest' | 'reset'; slot: number }
  | { op: 'disconnect'; slot: number; k: number }
  | { op: 'cpu' };

const k = fc.oneof(
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 3 }) },
  fc.integer({ min: 0, max: SLOT_PAGES - 1 }),
);
const idx = fc.nat(50);
/* Roomy runs crowd the low slots (more hits); tight runs spread over every slot (more tables to steal). */
const opsWith = (slot: fc.Arbitrary<number>): fc.Arbitrary<Op> =>
  fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record({
        op: fc.constant('map' as const),
        slot,
        k: fc.integer({ min: 0, max: SLOT_PAGES - 4 }),
        len: fc.integer({ min: 1, max: 4 }),
        off: fc.integer({ min: 0, max: 2 }),
        extra: fc.integer({ min: 0, max: 1 }),
        prot: fc.oneof(fc.constant(3), fc.constant(7), fc.integer({ min: 1, max: 7 })),
        mmio: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, fc.constant(true)),
      }),
    },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('unmap' as const), i: idx, bogus: fc.boolean() }) },
    fc.record({ op: fc.constant('populate' as const), i: idx }),
    {
      weight: 4,
      arbitrary: fc.record({
        op: fc.constant('fault' as const),
        slot,
        k,
        access: fc.constantFrom<AccessKind>('read', 'write', 'exec'),
        client: fc.integer({ min: 0, max: 2 }),
      }),
    },
    { weight: 4, arbitrary: fc.record({ op: fc.constant('touch' as const), slot, k, write: fc.boolean() }) },
    {
      weight: 5,
      arbitrary: fc.record({
        op: fc.constant('hold' as const),
        slot,
        k,
        prot: fc.constantFrom(PROT_READ, PROT_WRITE, PROT_READ | PROT_WRITE),
        defer: fc.boolean(),
        client: fc.oneof({ weight: 3, arbitrary: fc.constant(1) }, fc.constant(2)),
      }),
    },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('release' as const), i: idx }) },
    fc.record({ op: fc.constant('markDirty' as const), i: idx }),
    { weight: 2, arbitrary: fc.record({ op: fc.constant('chain' as const), i: idx, j: idx }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('harvest' as const), slot }) },
    fc.record({ op: fc.constant('reset' as const), slot }),
    fc.record({ op: fc.constant('disconnect' as const), slot, k }),
    fc.record({ op: fc.constant('cpu' as const) }),
  );
const lowSlots = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 1 }) },
  fc.integer({ min: 0, max: SLOTS.length - 1 }),
);
const anySlot = fc.integer({ min: 0, max: SLOTS.length - 1 });

/* ---- the model ---- */

interface MObj {
  obj: VmObject;
  mmio: boolean;
  refs: number;
  /** Object pages written since their last harvest. */
  dirty: Set<number>;
  /** Object pages that have a host frame (asked for by a fault, hold or populate). */
  backed: Set<number>;
}
interface MMap {
  gpa: number;
  len: number;
  o: MObj;
  off: number;
  prot: Prot;
}
interface MHold {
  h: PageHold;
  client: number;
  o: MObj;
  page: number;
  unmapped: boolean;
  deferred: boolean;
  prev: MHold | null;
  next: MHold | null;
}
interface Leaf {
  a: boolean;
  d: boolean;
}

class Model {
  maps: MMap[] = [];
  objs: MObj[] = [];
  holds: MHold[] = [];
  resident = new Map<number, Leaf>();
  gen = 1;
  onCpu = false;
  recorded = 0;
  movedThisStay = false;
  kicks = 0;
  apertures = 0;

  find(g: number): MMap | undefined {
    return this.maps.find((m) => m.gpa <= g && g < m.gpa + m.len);
  }
  pageOf(m: MMap, g: number): number {
    return m.off + (g - m.gpa) / P;
  }
  /** The page at g was looked up for mapping: a memory page takes its frame then. */
  back(m: MMap, g: number): void {
    if (!m.o.mmio) m.o.backed.add(this.pageOf(m, g));
  }
  bump(): void {
    this.gen++;
    if (this.onCpu) this.movedThisStay = true;
  }
}

/* Roomy runs scatter the frames (seeded per run), tight runs use the identity layout. */
const tightness = [
  {
    label: 'roomy',
    frames: 160,
    reservoirLimit: undefined,
    exact: true,
    ops: opsWith(lowSlots),
    layout: 'scattered',
  },
  { label: 'tight', frames: 15, reservoirLimit: 7, exact: false, ops: opsWith(anySlot), layout: 'identity' },
] as const;

/* What the runs exercised, summed over all configurations (the coverage test checks it). */
const seen = {
  steals: 0,
  mapped: 0,
  mmio: 0,
  dirtyHarvested: 0,
  unmappedHolds: 0,
  kicks: 0,
  chains: 0,
  bumps: 0,
};

describe.each(FORMAT_NAMES)('vmspace property (%s)', (name) => {
  const format = FORMATS[name];

  describe.each(tightness)('$label host memory', (cfg) => {
    it('agrees with the model after every step', () => {
      fc.assert(
        fc.property(
          fc.array(cfg.ops, { minLength: 10, maxLength: 80, size: 'max' }),
          fc.nat(),
          (ops, seed) => {
            const r = makeVmRig(format, {
              frames: cfg.frames,
              reservoirLimit: cfg.reservoirLimit,
              layout: cfg.layout,
              seed,
            });
            const vcpu = r.vms.createClient('vcpu0');
            const clients: VmClient[] = [vcpu, r.vms.createClient('dev1'), r.vms.createClient('dev2')];
            let kicks = 0;
            vcpu.setKick(() => kicks++);
            const m = new Model();
            for (const op of ops) {
              step(r, m, clients, op, cfg.exact);
              verify(r, m, clients, kicks);
            }
            seen.steals += r.pool.stats.stolen;
            seen.mapped += r.vms.counters.faultsByResult.mapped;
            seen.mmio += r.vms.counters.faultsByResult.mmio;
            seen.kicks += kicks;
            seen.bumps += r.vms.counters.generationBumps;
            for (const e of r.log.events) if (e.type === 'harvest') seen.dirtyHarvested += e.dirty;
            // tear down: release every hold, destroy; every frame comes back
            for (const h of m.holds.filter((x) => x.prev === null)) h.h.releaseChain();
            r.vms.destroy();
            expect(r.reservoir.reservedCount).toBe(0);
            r.check();
          },
        ),
        { numRuns: cfg.exact ? 40 : 60 },
      );
    });
  });
});

describe('vmspace property: coverage', () => {
  it('the random runs reached the interesting cases', () => {
    for (const [what, n] of Object.entries(seen)) expect({ what, hit: n > 0 }).toEqual({ what, hit: true });
  });
});

/* ---- one step: run the op and predict its outcome ---- */

interface StepInfo {
  /** The op may have allocated a page table (and so stolen one, in tight memory). */
  allocating: boolean;
  /** The page the op faulted in, if any. */
  touched: number | null;
}

function step(r: VmRig, m: Model, clients: VmClient[], op: Op, exact: boolean): void {
  const movedBefore = m.movedThisStay;
  const before = new Map(m.resident);
  const info: StepInfo = { allocating: false, touched: null };
  runOp(r, m, clients, op, exact, info);
  if (info.allocating && !exact) resync(r, m, before, info, op);
  else expect(r.vms.generation).toBe(m.gen);
  // kicks: one per stay on the CPU during which the generation moved
  if (m.movedThisStay && !movedBefore) m.kicks++;
}

/* Tight memory: a steal may have bumped the generation and dropped resident pages; re-read them. */
function resync(r: VmRig, m: Model, before: Map<number, Leaf>, info: StepInfo, op: Op): void {
  const g1 = r.vms.generation;
  expect(g1).toBeGreaterThanOrEqual(m.gen);
  if (g1 > m.gen && m.onCpu) m.movedThisStay = true;
  m.gen = g1;
  const now = new Map<number, Leaf>();
  for (const mp of m.maps) {
    for (let a = mp.gpa; a < mp.gpa + mp.len; a += P) {
      const leaf = r.vms.gpt.lookup(gpa(a));
      if (leaf === null) continue;
      expect(before.has(a) || a === info.touched || op.op === 'populate' || op.op === 'map').toBe(true);
      const cur = { a: leaf.accessed, d: leaf.dirty };
      // a leaf re-made in this op is clean; any other must be as the model has it
      if (cur.a || cur.d) expect(cur).toEqual(m.resident.get(a));
      now.set(a, cur);
    }
  }
  m.resident = now;
}

function runOp(r: VmRig, m: Model, clients: VmClient[], op: Op, exact: boolean, info: StepInfo): void {
  switch (op.op) {
    case 'map': {
      info.allocating = true;
      const g = SLOTS[op.slot] + op.k * P;
      const pages = op.off + op.len + op.extra;
      let obj: VmObject;
      if (op.mmio) {
        obj = VmObject.mmio(hpa(r.mem.bytes + m.apertures * P), pages * P);
        m.apertures += pages;
      } else {
        const avail = r.reservoir.available;
        const o = VmObject.memory(r.reservoir, pages * P, { pmap: r.pmap });
        if (!(o instanceof VmObject)) {
          expect(avail).toBeLessThan(pages);
          return;
        }
        obj = o;
      }
      const mo: MObj = { obj, mmio: op.mmio, refs: 1, dirty: new Set(), backed: new Set() };
      const res = r.vms.map(obj, gpa(g), op.len * P, op.off * P, op.prot);
      const clash = m.maps.some((x) => x.gpa < g + op.len * P && g < x.gpa + x.len);
      expect(res.kind).toBe(clash ? 'overlap' : 'ok');
      if (!clash) {
        const prot = op.prot & PROT_WRITE ? op.prot | PROT_READ : op.prot;
        m.maps.push({ gpa: g, len: op.len * P, o: mo, off: op.off, prot });
        mo.refs++;
      }
      m.objs.push(mo);
      mo.refs--;
      expect(obj.release()).toBe(mo.refs === 0);
      break;
    }
    case 'unmap': {
      if (m.maps.length === 0 || op.bogus) {
        const g = SLOTS[0] + (SLOT_PAGES - 1) * P;
        const hit = m.maps.find((x) => x.gpa === g && x.len === P);
        if (hit === undefined) expect(r.vms.unmap(gpa(g), P).kind).toBe('nomap');
        return;
      }
      const mp = m.maps[op.i % m.maps.length];
      let cleared = 0;
      for (let a = mp.gpa; a < mp.gpa + mp.len; a += P) if (m.resident.delete(a)) cleared++;
      for (const h of m.holds) {
        const hg = h.h.gpa;
        if (hg >= mp.gpa && hg < mp.gpa + mp.len && !h.unmapped) {
          h.unmapped = true;
          h.o.refs++;
        }
      }
      expect(r.vms.unmap(gpa(mp.gpa), mp.len)).toEqual({ kind: 'ok', cleared });
      if (cleared > 0) m.bump();
      m.maps.splice(m.maps.indexOf(mp), 1);
      mp.o.refs--;
      break;
    }
    case 'populate': {
      if (m.maps.length === 0) return;
      info.allocating = true;
      const mp = m.maps[op.i % m.maps.length];
      let fresh = 0;
      for (let a = mp.gpa; a < mp.gpa + mp.len; a += P) if (!m.resident.has(a)) fresh++;
      const res = r.vms.populate(gpa(mp.gpa), mp.len);
      if (exact) expect(res).toEqual({ kind: 'ok', mapped: fresh });
      else expect(['ok', 'exhausted']).toContain(res.kind);
      for (let a = mp.gpa; a < mp.gpa + mp.len; a += P) {
        // exhausted part way (tight memory): only the pages before the failing one were asked for
        if (res.kind === 'ok' || mp.o.obj.currentFrame(a - mp.gpa + mp.off * P) !== -1) m.back(mp, a);
      }
      for (let a = mp.gpa; a < mp.gpa + mp.len; a += P)
        if (!m.resident.has(a)) m.resident.set(a, { a: false, d: false });
      break;
    }
    case 'fault':
    case 'touch': {
      info.allocating = true;
      const g = SLOTS[op.slot] + op.k * P;
      const access: AccessKind = op.op === 'fault' ? op.access : op.write ? 'write' : 'read';
      const mp = m.find(g);
      if (op.op === 'touch' && op.write && mp?.o.mmio) return; // device writes are not dirty-logged
      const res = op.op === 'fault' ? clients[op.client].fault(gpa(g), access) : r.vms.fault(gpa(g), access);
      const need = access === 'read' ? PROT_READ : access === 'write' ? PROT_WRITE : 4;
      if (mp === undefined) expect(res).toEqual({ kind: 'nomap', gpa: g });
      else if ((mp.prot & need) !== need) expect(res).toEqual({ kind: 'rights', gpa: g, prot: mp.prot });
      else if (res.kind === 'exhausted' && !exact)
        m.back(mp, g); // the frame came before the table
      else {
        m.back(mp, g);
        const frame = mp.o.obj.currentFrame(g - mp.gpa + mp.off * P);
        if (mp.o.mmio) expect(res).toMatchObject({ kind: 'mmio', hpa: frame * P });
        else expect(res).toMatchObject({ kind: 'mapped', hfn: frame });
        info.touched = g;
        const leaf = m.resident.get(g) ?? { a: false, d: false };
        m.resident.set(g, leaf);
        if (op.op === 'touch' && (res.kind === 'mapped' || res.kind === 'mmio')) {
          r.vms.gpt.markAccessed(res.pte, op.write);
          leaf.a = true;
          if (op.write) {
            leaf.d = true;
            mp.o.dirty.add(m.pageOf(mp, g));
          }
        }
      }
      break;
    }
    case 'hold': {
      info.allocating = true;
      const g = SLOTS[op.slot] + op.k * P;
      const mp = m.find(g);
      const defer = op.defer && (op.prot & PROT_WRITE) !== 0;
      const res = clients[op.client].hold(gpa(g), op.prot, { deferDirty: defer });
      if (mp === undefined) expect(res).toEqual({ kind: 'nomap', gpa: g });
      else if ((mp.prot & op.prot) !== op.prot)
        expect(res).toEqual({ kind: 'rights', gpa: g, prot: mp.prot });
      else if (!(res instanceof PageHold) && res.kind === 'exhausted' && !exact) m.back(mp, g);
      else {
        m.back(mp, g);
        info.touched = g;
        if (!m.resident.has(g)) m.resident.set(g, { a: false, d: false });
        if (mp.o.mmio) {
          expect(res).toMatchObject({ kind: 'mmio' });
          break;
        }
        expect(res).toBeInstanceOf(PageHold);
        const h = res as PageHold;
        expect(h.hfn).toBe(mp.o.obj.currentFrame(g - mp.gpa + mp.off * P));
        m.holds.push({
          h,
          client: op.client,
          o: mp.o,
          page: m.pageOf(mp, g),
          unmapped: false,
          deferred: defer,
          prev: null,
          next: null,
        });
      }
      break;
    }
    case 'release': {
      if (m.holds.length === 0) return;
      const head = m.holds[op.i % m.holds.length];
      if (head.prev !== null) return; // released with its chain
      let any = false;
      for (let h: MHold | null = head; h !== null; h = h.next) {
        m.holds.splice(m.holds.indexOf(h), 1);
        if (h.unmapped) {
          any = true;
          seen.unmappedHolds++;
          h.o.refs--;
        } else if ((h.h.prot & PROT_WRITE) !== 0 && !h.deferred) {
          h.o.dirty.add(h.page);
          const leaf = m.resident.get(h.h.gpa);
          if (leaf !== undefined) {
            leaf.a = true;
            leaf.d = true;
          }
        }
      }
      expect(head.next === null ? head.h.release() : head.h.releaseChain()).toBe(any);
      break;
    }
    case 'markDirty': {
      const w = m.holds.filter((h) => h.deferred);
      if (w.length === 0) return;
      const h = w[op.i % w.length];
      h.h.markDirty();
      h.deferred = false;
      break;
    }
    case 'chain': {
      if (m.holds.length < 2) return;
      const a = m.holds[op.i % m.holds.length];
      const b = m.holds[op.j % m.holds.length];
      let cycle = false;
      for (let x: MHold | null = b; x !== null; x = x.next) if (x === a) cycle = true;
      if (a.next !== null || b.prev !== null || a.client !== b.client || cycle) return;
      a.h.chain(b.h);
      seen.chains++;
      a.next = b;
      b.prev = a;
      break;
    }
    case 'harvest': {
      const base = SLOTS[op.slot];
      const want = new Uint8Array(SLOT_PAGES / 8);
      let n = 0;
      for (const mp of m.maps) {
        if (mp.o.mmio) continue;
        for (let a = Math.max(base, mp.gpa); a < Math.min(base + SLOT_PAGES * P, mp.gpa + mp.len); a += P) {
          const page = m.pageOf(mp, a);
          if (!mp.o.dirty.delete(page)) continue;
          const i = (a - base) / P;
          want[i >>> 3] |= 1 << (i & 7);
          n++;
        }
      }
      const bm = new Uint8Array(SLOT_PAGES / 8);
      expect(r.vms.harvestDirty(gpa(base), SLOT_PAGES * P, bm)).toBe(n);
      expect(Array.from(bm)).toEqual(Array.from(want));
      for (const [a, leaf] of m.resident) if (a >= base && a < base + SLOT_PAGES * P) leaf.d = false;
      if (n > 0) m.bump();
      break;
    }
    case 'reset': {
      const base = SLOTS[op.slot];
      let n = 0;
      for (const [a, leaf] of m.resident) {
        if (a < base || a >= base + SLOT_PAGES * P || !leaf.a) continue;
        leaf.a = false;
        leaf.d = false;
        n++;
      }
      expect(r.vms.resetAccessed(gpa(base), SLOT_PAGES * P)).toBe(n);
      if (n > 0) m.bump();
      break;
    }
    case 'disconnect': {
      const g = SLOTS[op.slot] + op.k * P;
      const mp = m.find(g);
      if (mp === undefined || mp.o.mmio) return;
      const was = m.resident.delete(g);
      const f = mp.o.obj.currentFrame(g - mp.gpa + mp.off * P);
      if (f === -1)
        expect(was).toBe(false); // a page never asked for has no frame to disconnect
      else expect(r.vms.disconnectFrame(f)).toBe(was ? 1 : 0);
      if (was) m.bump();
      break;
    }
    case 'cpu': {
      const v = clients[0];
      if (m.onCpu) {
        v.tableExit();
        m.onCpu = false;
      } else {
        const t = v.tableEnter();
        expect(t).toEqual({ generation: m.gen, mustFlush: m.recorded < m.gen });
        m.recorded = m.gen;
        m.onCpu = true;
        m.movedThisStay = false;
      }
      break;
    }
  }
}

/* Demand allocation: the pages with a frame are the model's, and no two pages share a frame. */
function verifyFrames(r: VmRig, liveMem: readonly MObj[]): void {
  const frames = new Set<number>();
  for (const o of liveMem) {
    const backed = new Set<number>();
    for (let i = 0; i < o.obj.pages; i++) {
      const f = o.obj.currentFrame(i * P);
      if (f === -1) continue;
      backed.add(i);
      frames.add(f);
    }
    expect(backed).toEqual(o.backed);
    expect(o.obj.backedPages).toBe(backed.size);
  }
  expect(frames.size).toBe(r.reservoir.inUse);
}

function verify(r: VmRig, m: Model, clients: VmClient[], kicks: number): void {
  r.check();
  expect(r.vms.mappings().map((x) => [x.gpa, x.len, x.prot])).toEqual(
    [...m.maps].sort((a, b) => a.gpa - b.gpa).map((x) => [x.gpa, x.len, x.prot]),
  );
  expect(r.vms.residentCount).toBe(m.resident.size);
  for (const [a, leaf] of m.resident) {
    const l = r.vms.gpt.lookup(gpa(a));
    expect(l).not.toBeNull();
    expect({ at: a, a: l!.accessed, d: l!.dirty }).toEqual({ at: a, a: leaf.a, d: leaf.d });
  }
  for (const o of m.objs) {
    expect(o.obj.refcount).toBe(o.refs);
    expect(o.obj.isFreed).toBe(o.refs === 0);
  }
  const liveMem = m.objs.filter((o) => !o.mmio && o.refs > 0);
  expect(r.reservoir.reservedCount).toBe(liveMem.reduce((n, o) => n + o.obj.pages, 0));
  verifyFrames(r, liveMem);
  const h = r.vms.counters.holds;
  expect(h.outstanding).toBe(m.holds.length);
  for (let c = 0; c < clients.length; c++)
    expect(new Set(clients[c].holds())).toEqual(
      new Set(m.holds.filter((x) => x.client === c).map((x) => x.h)),
    );
  expect(kicks).toBe(m.kicks);
  expect(clients[0].state).toBe(m.onCpu ? 'ON_CPU' : 'IDLE');
}
