/*
 * The guest walkers over the REAL nested page table: guest page tables live in host frames that
 * the GPT maps, every guest table reference is translated by the GPT, and the two-dimensional walk
 * lists the GPT's own entries (with the format's decoded bits) between the guest's.
 */
import { describe, expect, it } from 'vitest';
import { gpa, gva, type Hfn } from '../../../mmu/addr.js';
import { FORMATS, FORMAT_NAMES } from '../../../mmu/gpt/formats.js';
import { Gpt } from '../../../mmu/gpt/gpt.js';
import {
  X86_A,
  X86_D,
  X86_RW,
  gptNestedWalker,
  nestedGuestAccess,
  walkTwoDimensional,
  walkX86,
  type GuestPaging,
  type GuestRef,
  type NestedRef,
  type NestedWalk,
} from '../../../mmu/guest-walk/index.js';
import { FrameAllocator } from '../../../mmu/host/frame-allocator.js';
import { HostMemory } from '../../../mmu/host/host-memory.js';
import { Pmap } from '../../../mmu/host/pmap.js';
import { TablePool } from '../../../mmu/host/table-pool.js';
import { PROT_READ, PROT_RW } from '../../../mmu/prot.js';
import { X86Builder, type TableRam } from './fakes.js';

const GUEST_PAGES = 64; // guest-physical [0, 256 KiB)

function rig(formatName: (typeof FORMAT_NAMES)[number]) {
  const mem = new HostMemory(512 * 4096);
  const frames = new FrameAllocator(mem);
  const pmap = new Pmap(mem);
  const pool = new TablePool(frames, pmap, { reserve: 0 });
  const gpt = new Gpt(FORMATS[formatName], mem, pmap, pool);
  expect(gpt.populate(gpa(0), GUEST_PAGES * 4096)).toEqual({ kind: 'ok' });
  const frameOf: Hfn[] = [];
  // guest frames in reverse host order, so that no guest page sits at hpa == gpa
  const got: Hfn[] = [];
  for (let i = 0; i < GUEST_PAGES; i++) got.push(frames.alloc('guest') as Hfn);
  for (let i = 0; i < GUEST_PAGES; i++) {
    frameOf[i] = got[GUEST_PAGES - 1 - i];
    expect(gpt.mapAt(gpa(i * 4096), frameOf[i], PROT_RW, 'wb')).toBe('mapped');
  }
  const nested = gptNestedWalker(gpt);
  const access = nestedGuestAccess(nested, mem);
  const ram: TableRam = {
    lo: (a) => read(a).lo,
    hi: (a) => read(a).hi,
    set: (a, lo, hi) => {
      expect(access.write32(gpa(a), lo)).toBeNull();
      expect(access.write32(gpa(a + 4), hi)).toBeNull();
    },
  };
  function read(a: number) {
    const out = { lo: 0, hi: 0 };
    expect(access.read64(gpa(a), out)).toBeNull();
    return out;
  }
  return { mem, gpt, nested, access, ram, frameOf };
}

describe.each(FORMAT_NAMES)('guest walk over the real GPT (%s)', (formatName) => {
  it('translates through guest tables that live in GPT-mapped host frames', () => {
    const { gpt, access, ram, frameOf } = rig(formatName);
    const b = new X86Builder(ram, 0x1_0000); // guest tables from guest-physical 64 KiB
    const leaf = b.map(0x40_0000, 0x2_0000, 1, X86_RW);
    const cfg = { cr3: b.root, wp: true, nxe: true };
    const r = walkX86(access, cfg, gva(0x40_0123), 'write', false);
    expect(r).toMatchObject({ kind: 'ok', gpa: 0x2_0123, level: 1 });
    // A and D landed in the host frame that backs the leaf table's guest page
    const hostLeaf = frameOf[Math.floor(leaf / 4096)] * 4096 + (leaf % 4096);
    expect(gpt.mem.u32[hostLeaf / 4] & (X86_A | X86_D)).toBe(X86_A | X86_D);
  });

  it('lists 24 references whose nested entries are the GPT entries, and reports nested misses', () => {
    const { gpt, nested, mem, ram, frameOf } = rig(formatName);
    const b = new X86Builder(ram, 0x1_0000);
    b.map(0x40_0000, 0x2_0000, 1, X86_RW);
    const paging: GuestPaging = { arch: 'x86_64', cfg: { cr3: b.root, wp: true, nxe: true } };
    const w = walkTwoDimensional(paging, gva(0x40_0008), 'read', false, nested, mem);
    expect(w.refs.length).toBe(24);
    const nestedRefs = w.refs.filter((r): r is NestedRef => r.dim === 'nested');
    for (const n of nestedRefs) {
      // each nested reference is the GPT's own entry at that level for that address
      const expected: NestedWalk = nested.walk(n.translating, 'read');
      const step = expected.steps.find((s) => s.level === n.level)!;
      expect([n.pte, n.lo, n.hi]).toEqual([step.pte, step.lo, step.hi]);
      expect(n.fields.length).toBeGreaterThan(0);
    }
    const guests = w.refs.filter((r): r is GuestRef => r.dim === 'guest');
    for (const g of guests) expect(g.hpa).toBe(frameOf[Math.floor(g.entry / 4096)] * 4096 + (g.entry % 4096));
    expect(w.final?.hpa).toBe(frameOf[0x20] * 4096 + 8);

    // the guest's PD page loses its nested mapping: the walk stops there, as a nested miss
    const pde = b.entryAt(0x40_0000, 2);
    expect(gpt.unmap(gpa(pde - (pde % 4096)))).toBe(true);
    const miss = walkTwoDimensional(paging, gva(0x40_0008), 'read', false, nested, mem);
    expect(miss.guest).toMatchObject({ kind: 'nested-miss', level: 2, gpa: pde });
    const last = miss.refs[miss.refs.length - 1] as NestedRef;
    expect([last.dim, last.level, last.guestLevel]).toEqual(['nested', 1, 2]);
  });

  it('a read-only nested mapping of a guest table page turns an A/D update into a write miss', () => {
    const { gpt, access, ram, frameOf } = rig(formatName);
    const b = new X86Builder(ram, 0x1_0000);
    const leaf = b.map(0x40_0000, 0x2_0000, 1, X86_RW);
    const page = leaf - (leaf % 4096);
    const frame = frameOf[page / 4096];
    expect(gpt.unmap(gpa(page))).toBe(true);
    expect(gpt.mapAt(gpa(page), frame, PROT_READ, 'wb')).toBe('mapped');
    const cfg = { cr3: b.root, wp: true, nxe: true };
    expect(walkX86(access, cfg, gva(0x40_0000), 'read', false)).toMatchObject({
      kind: 'nested-miss',
      level: 1,
      gpa: leaf,
      access: 'write',
    });
    expect(walkX86(access, cfg, gva(0x40_0000), 'read', false, { dryRun: true })).toMatchObject({
      kind: 'ok',
    });
  });
});
