/*
 * The two dirty-log modes report the same pages (mmu/vm/ring-harvest.ts). Random sequences of
 * vCPU touches (the fill hook's path: translate, nested fault, markAccessed, the PML log), device
 * write holds (deferred or not), frame disconnects, table steals, Accessed resets, unmapping and
 * remapping a second region, and harvests of the whole space or of part of it run on two vmspaces
 * at once, one in 'bitmap' mode and one in 'ring' mode, for each entry format. At every harvest
 * both answer the same bitmap and count, and both equal the model: the pages written since their
 * last harvest that are mapped now (a page written and then unmapped is owed until it is mapped
 * again). A fixed test fills the PML log twice over to take the PML-full exit.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gpa, hpa } from '../../../mmu/addr.js';
import { FORMATS, FORMAT_NAMES } from '../../../mmu/gpt/formats.js';
import { LEAF_LEVEL } from '../../../mmu/gpt/gpt-geometry.js';
import { NOT_DIRTIED } from '../../../mmu/gpt/gpt.js';
import { PROT_ALL, PROT_WRITE, type AccessKind } from '../../../mmu/prot.js';
import { PageHold } from '../../../mmu/vm/page-hold.js';
import type { VmClient } from '../../../mmu/vm/vm-client.js';
import type { VmObject } from '../../../mmu/vm/vm-object.js';
import { makeVmRig, type VmRig } from './rig.js';

const P = 4096;
const MB2 = 0x20_0000;
const A_PAGES = 24; // region A: [0, 24 pages), always mapped
const B_BASE = MB2 - 4 * P; // region B straddles two leaf tables: mapped and unmapped at will
const B_PAGES = 8;
const SPACE = MB2 + 8 * P;

type Op =
  | { op: 'touch'; page: number; write: boolean }
  | { op: 'hold'; page: number; defer: boolean; mark: boolean }
  | { op: 'disconnect'; page: number }
  | { op: 'steal' | 'reset' | 'toggleB' }
  | { op: 'harvest'; part: number };

const page = fc.oneof(
  fc.integer({ min: 0, max: A_PAGES - 1 }),
  fc.integer({ min: 0, max: B_PAGES - 1 }).map((i) => -1 - i),
);
const ops: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ op: fc.constant('touch' as const), page, write: fc.boolean() }) },
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant('hold' as const), page, defer: fc.boolean(), mark: fc.boolean() }),
  },
  fc.record({ op: fc.constant('disconnect' as const), page }),
  fc.record({ op: fc.constantFrom('steal' as const, 'reset' as const) }),
  { weight: 2, arbitrary: fc.record({ op: fc.constant('toggleB' as const) }) },
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant('harvest' as const), part: fc.integer({ min: 0, max: 2 }) }),
  },
);

/* The gpa of a page as the arbitraries name it: >= 0 in region A, < 0 in region B. */
const gpaOf = (p: number): number => (p >= 0 ? p * P : B_BASE + (-1 - p) * P);

interface Side {
  rig: VmRig;
  vcpu: VmClient;
  dev: VmClient;
  b: VmObject;
}

function side(fmt: (typeof FORMAT_NAMES)[number], mode: 'bitmap' | 'ring'): Side {
  const rig = makeVmRig(FORMATS[fmt], { frames: 96, dirtyLog: mode });
  const a = rig.ram(A_PAGES, 'a');
  const b = rig.ram(B_PAGES, 'b');
  rig.vms.map(a, gpa(0), A_PAGES * P, 0, PROT_ALL);
  rig.vms.map(b, gpa(B_BASE), B_PAGES * P, 0, PROT_ALL);
  a.release();
  return { rig, vcpu: rig.vms.createClient('vcpu0'), dev: rig.vms.createClient('devices'), b };
}

/* The fill hook's path for one access, as emulator/nested-mmu.ts takes it. */
function touch(s: Side, g: number, access: AccessKind): void {
  const gpt = s.rig.vms.gpt;
  let pte = gpt.translate(gpa(g), access);
  if (pte < 0) {
    const r = s.vcpu.fault(gpa(g), access);
    if (r.kind !== 'mapped') return;
    pte = gpt.translate(gpa(g), access);
  }
  const dirtied = gpt.markAccessed(hpa(pte), access === 'write');
  if (dirtied !== NOT_DIRTIED) s.vcpu.logDirty(dirtied, hpa(pte));
}

/* One step on one side; a harvest answers its bitmap and count, anything else null. */
function step(s: Side, o: Op, bMapped: boolean): { bits: number[]; n: number } | null {
  const vms = s.rig.vms;
  switch (o.op) {
    case 'touch':
      touch(s, gpaOf(o.page), o.write ? 'write' : 'read');
      return null;
    case 'hold': {
      const h = s.dev.hold(gpa(gpaOf(o.page)), PROT_WRITE, { deferDirty: o.defer });
      if (!(h instanceof PageHold)) return null;
      if (o.mark) h.markDirty();
      h.release();
      return null;
    }
    case 'disconnect': {
      const leaf = vms.gpt.lookup(gpa(gpaOf(o.page)));
      if (leaf !== null) vms.disconnectFrame(leaf.frame);
      return null;
    }
    case 'steal':
      s.rig.pool.steal();
      return null;
    case 'reset':
      vms.resetAccessed(gpa(0), SPACE);
      return null;
    case 'toggleB':
      if (bMapped) vms.unmap(gpa(B_BASE), B_PAGES * P);
      else vms.map(s.b, gpa(B_BASE), B_PAGES * P, 0, PROT_ALL);
      return null;
    case 'harvest': {
      const [from, len] = o.part === 0 ? [0, SPACE] : o.part === 1 ? [0, MB2] : [MB2, SPACE - MB2];
      const bitmap = new Uint8Array(SPACE / P / 8);
      const n = vms.harvestDirty(gpa(from), len, bitmap);
      const bits: number[] = [];
      for (let i = 0; i < len / P; i++) if (bitmap[i >>> 3] & (1 << (i & 7))) bits.push(from + i * P);
      return { bits, n };
    }
  }
}

/* The model: pages written since their last harvest (by gpa; region B's keep theirs while unmapped). */
function modelStep(dirty: Set<number>, o: Op, bMapped: boolean): number[] | null {
  const mapped = (g: number): boolean => g < A_PAGES * P || bMapped;
  if ((o.op === 'touch' && o.write) || (o.op === 'hold' && (!o.defer || o.mark))) {
    const g = gpaOf(o.page);
    if (mapped(g)) dirty.add(g);
  }
  if (o.op !== 'harvest') return null;
  const [from, to] = o.part === 0 ? [0, SPACE] : o.part === 1 ? [0, MB2] : [MB2, SPACE];
  const got = [...dirty].filter((g) => g >= from && g < to && mapped(g)).sort((x, y) => x - y);
  for (const g of got) dirty.delete(g);
  return got;
}

describe.each(FORMAT_NAMES.map((f) => [f] as const))(
  'dirty log on %s tables: bitmap and ring agree',
  (fmt) => {
    it('every harvest reports the same pages in both modes, and what the model says', () => {
      let ringEntries = 0;
      let remappedModified = 0; // region B mapped again with frames still modified
      fc.assert(
        fc.property(fc.array(ops, { minLength: 1, maxLength: 60 }), (seq) => {
          const bitmap = side(fmt, 'bitmap');
          const ring = side(fmt, 'ring');
          const dirty = new Set<number>();
          let bMapped = true;
          for (const o of [...seq, { op: 'harvest', part: 0 } as Op]) {
            const want = modelStep(dirty, o, bMapped);
            if (o.op === 'toggleB' && !bMapped && ring.rig.pmap.modifiedFrames > 0) remappedModified++;
            const x = step(bitmap, o, bMapped);
            const y = step(ring, o, bMapped);
            if (o.op === 'toggleB') bMapped = !bMapped;
            expect(y).toEqual(x);
            if (want !== null) expect(x!.bits).toEqual(want);
            if (x !== null) expect(x.n).toBe(x.bits.length);
            bitmap.rig.check();
            ring.rig.check();
          }
          ringEntries += ring.rig.vms.ringLog!.ring.pushed;
        }),
        { numRuns: 60, seed: 12 },
      );
      expect(ringEntries).toBeGreaterThan(100); // the ring did the work
      expect(remappedModified).toBeGreaterThan(0);
    });
  },
);

describe.each(['bitmap', 'ring'] as const)('%s mode', (mode) => {
  it('a page written, unmapped, harvested and mapped again is reported once it is mapped', () => {
    const s = side('ept', mode);
    const g = B_BASE + 5 * P; // in B's second leaf table
    touch(s, g, 'write');
    s.rig.vms.unmap(gpa(B_BASE), B_PAGES * P);
    const bits = new Uint8Array(SPACE / P / 8);
    expect(s.rig.vms.harvestDirty(gpa(0), SPACE, bits)).toBe(0);
    s.rig.vms.map(s.b, gpa(B_BASE), B_PAGES * P, 0, PROT_ALL);
    expect(s.rig.vms.harvestDirty(gpa(0), SPACE, bits)).toBe(1);
    expect(bits[(g / P) >>> 3]).toBe(1 << ((g / P) & 7));
    expect(s.rig.vms.harvestDirty(gpa(0), SPACE, bits)).toBe(0);
    s.rig.check();
  });
});

describe.each(['bitmap', 'ring'] as const)('%s mode, a leaf table frame reused', (mode) => {
  it('a page logged in a table frame that was stolen and now holds another table is not read there', () => {
    // X = MB2 (table 1, entry 0) is logged with a hint into its table's frame; that frame is
    // stolen and becomes table 0's, where Y = page 0 (entry 0 again) is then written: X's hint now
    // names Y's entry, and must not be used (the table epoch moved on)
    const s = side('ept', mode);
    const frameOf = (g: number): number => s.rig.vms.gpt.tables.findNode(g, LEAF_LEVEL)?.frame ?? -1;
    s.rig.pool.steal(); // table 0 first, its frame then handed back to the allocator
    s.rig.pool.reap();
    expect(frameOf(0)).toBe(-1);
    touch(s, MB2, 'write');
    const xTable = frameOf(MB2);
    s.rig.vms.resetAccessed(gpa(0), SPACE); // X clean in its leaf, modified in its frame
    s.rig.pool.steal();
    touch(s, 0, 'write');
    expect(frameOf(0)).toBe(xTable); // the test's premise: the frame came back as table 0
    const bits = new Uint8Array(SPACE / P / 8);
    expect(s.rig.vms.harvestDirty(gpa(0), SPACE, bits)).toBe(2);
    expect([bits[0], bits[MB2 / P / 8]]).toEqual([1, 1]);
    s.rig.check();
  });
});

describe('the PML log', () => {
  it('a full log is a PML-full exit that drains into the ring; a harvest drains the rest', () => {
    const rig = makeVmRig(FORMATS.ept, { frames: 1100, dirtyLog: 'ring' });
    const ram = rig.ram(1024, 'ram');
    rig.vms.map(ram, gpa(0), 1024 * P, 0, PROT_ALL);
    const s: Side = {
      rig,
      vcpu: rig.vms.createClient('vcpu0'),
      dev: rig.vms.createClient('devices'),
      b: ram,
    };
    for (let i = 0; i < 1100; i++) touch(s, (i % 1024) * P, 'write');
    expect(rig.vms.counters.pmlFullExits).toBe(2);
    expect(rig.log.events.filter((e) => e.type === 'pml-full')).toEqual([
      { type: 'pml-full', client: s.vcpu.id, entries: 512 },
      { type: 'pml-full', client: s.vcpu.id, entries: 512 },
    ]);
    expect(s.vcpu.pml!.count).toBe(0); // 1024 pages dirtied once each: the second exit emptied it
    touch(s, 5 * P, 'write'); // already dirty: not logged again
    expect(s.vcpu.pml!.count).toBe(0);
    const bits = new Uint8Array(1024 / 8);
    expect(rig.vms.harvestDirty(gpa(0), 1024 * P, bits)).toBe(1024);
    expect(bits.every((b) => b === 0xff)).toBe(true);
    touch(s, 7 * P, 'write'); // clean again after the harvest: logged again
    expect(s.vcpu.pml!.count).toBe(1);
    expect(rig.vms.harvestDirty(gpa(0), 1024 * P, new Uint8Array(128))).toBe(1);
    expect(rig.vms.ringLog!.ring.pushed).toBe(1025);
    rig.check();
  });
});
