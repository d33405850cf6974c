import { describe, expect, it } from 'vitest';
import { gva } from '../../../mmu/addr.js';
import {
  X86_A,
  X86_D,
  X86_RW,
  X86_US,
  decodeX86Entry,
  walkX86,
  x86ConfigFromRegs,
  x86PagingEnabled,
  type WalkResult,
  type X86PagingConfig,
} from '../../../mmu/guest-walk/index.js';
import { PROT_EXEC, PROT_READ, PROT_WRITE } from '../../../mmu/prot.js';
import { FlatRam, OffsetNested, X86Builder } from './fakes.js';

const MiB = 1 << 20;
const GiB = 2 ** 30;
const RAM = 8 * MiB;
const TABLES = 0x10_0000; // tables from 1 MiB

function setup(cfg: Partial<X86PagingConfig> = {}) {
  const ram = new FlatRam(0, RAM);
  const b = new X86Builder(ram, TABLES);
  const c: X86PagingConfig = { cr3: b.root, wp: true, nxe: true, ...cfg };
  const walk = (va: number, access: 'read' | 'write' | 'exec' = 'read', user = false, dryRun = false) =>
    walkX86(ram, c, gva(va), access, user, { dryRun });
  return { ram, b, cfg: c, walk };
}

const ok = (r: WalkResult) => {
  if (r.kind !== 'ok') throw new Error(`expected ok, got ${JSON.stringify(r)}`);
  return r;
};
const fault = (r: WalkResult) => {
  if (r.kind !== 'guest-fault') throw new Error(`expected guest-fault, got ${JSON.stringify(r)}`);
  return r;
};

describe('x86-64 walk: translations', () => {
  it('translates a 4 KiB page through four levels, keeping the page offset', () => {
    const { b, walk } = setup();
    const leaf = b.map(0x40_1000, 0x23_4000, 1, X86_RW);
    const r = ok(walk(0x40_1abc));
    expect(r.gpa).toBe(0x23_4abc);
    expect(r.level).toBe(1);
    expect(r.pageSize).toBe(4096);
    expect(r.leaf).toBe(leaf);
    expect(r.prot).toBe(PROT_READ | PROT_WRITE | PROT_EXEC);
  });

  it('translates a 2 MiB page (PDE PS=1) and a 1 GiB page (PDPTE PS=1)', () => {
    const { b, walk } = setup();
    b.map(0x4000_0000 + 2 * MiB, 6 * MiB, 2, X86_RW);
    b.map(5 * GiB, 3 * GiB, 3, X86_RW);
    const r2 = ok(walk(0x4000_0000 + 2 * MiB + 0x12_3456));
    expect([r2.gpa, r2.level, r2.pageSize]).toEqual([6 * MiB + 0x12_3456, 2, 2 * MiB]);
    const r1 = ok(walk(5 * GiB + 0x3456_789a));
    expect([r1.gpa, r1.level, r1.pageSize]).toEqual([3 * GiB + 0x3456_789a, 3, GiB]);
  });

  it('drops the PAT bit (bit 12) of a large leaf from the address', () => {
    const { b, ram, walk } = setup();
    const e = b.map(0x60_0000, 0x80_0000, 2, X86_RW);
    ram.set(e, ram.lo(e) | 0x1000, ram.hi(e)); // PAT
    expect(ok(walk(0x60_0010)).gpa).toBe(0x80_0010);
  });

  it('uses the full 48-bit address: a high user address and a high-half address in signed form', () => {
    const { b, walk } = setup();
    b.map(0x7f00_0000_0000, 0x30_0000, 1, X86_RW | X86_US);
    expect(ok(walk(0x7f00_0000_0123)).gpa).toBe(0x30_0123);
    // 0xffff_8000_0000_2000 as a signed 64-bit number
    const high = -(2 ** 47) + 0x2000;
    b.map(2 ** 47 + 0x2000, 0x31_0000, 1, X86_RW);
    expect(ok(walk(high + 0x44)).gpa).toBe(0x31_0044);
    // the same address in (inexact) unsigned form still finds the page
    expect(ok(walk(2 ** 64 - 2 ** 47 + 0x2000)).gpa & ~0xfff).toBe(0x31_0000);
  });

  it('reports a non-canonical address as address-range at level 4', () => {
    const { walk } = setup();
    const f = fault(walk(2 ** 47));
    expect([f.reason, f.level]).toEqual(['address-range', 4]);
  });
});

describe('x86-64 walk: faults', () => {
  it('reports not-present at the level that is missing', () => {
    const { b, ram, walk } = setup();
    expect(fault(walk(0x1000)).level).toBe(4);
    b.map(0x40_0000, 0x20_0000, 1, X86_RW);
    expect(fault(walk(0x80_0000_0000)).level).toBe(4); // another PML4 slot
    expect(fault(walk(0x4000_0000)).level).toBe(3); // same PML4E, empty PDPTE
    expect(fault(walk(0x20_0000)).level).toBe(2); // same PDPTE, empty PDE
    const f1 = fault(walk(0x40_1000, 'write', true));
    expect([f1.level, f1.reason, f1.code, f1.gva]).toEqual([1, 'not-present', 0b110, 0x40_1000]);
    ram.set(b.entryAt(0x40_0000, 1), 0, 0);
    expect(fault(walk(0x40_0000)).level).toBe(1);
  });

  it('denies a supervisor write to a read-only page when CR0.WP=1, allows it when WP=0', () => {
    const { b, ram, cfg } = setup();
    b.map(0x40_0000, 0x20_0000, 1, 0);
    const f = fault(walkX86(ram, cfg, gva(0x40_0000), 'write', false));
    expect([f.reason, f.level, f.code]).toEqual(['protection', 1, 0b011]);
    const r = ok(walkX86(ram, { ...cfg, wp: false }, gva(0x40_0000), 'write', false));
    expect(r.prot & PROT_WRITE).toBe(PROT_WRITE);
    expect(ok(walkX86(ram, cfg, gva(0x40_0000), 'read', false)).prot & PROT_WRITE).toBe(0);
  });

  it('combines R/W and U/S over every level', () => {
    const { b, ram, walk } = setup();
    b.map(0x40_0000, 0x20_0000, 1, X86_RW | X86_US);
    expect(ok(walk(0x40_0000, 'write', true)).prot).toBe(PROT_READ | PROT_WRITE | PROT_EXEC);
    const pdpte = b.entryAt(0x40_0000, 3);
    ram.set(pdpte, ram.lo(pdpte) & ~X86_RW, 0); // read-only from level 3 down
    const fw = fault(walk(0x40_0000, 'write', true));
    expect([fw.reason, fw.level, fw.code]).toEqual(['protection', 1, 0b111]);
    expect(ok(walk(0x40_0000, 'read', true)).prot).toBe(PROT_READ | PROT_EXEC);
    const pml4e = b.entryAt(0x40_0000, 4);
    ram.set(pml4e, ram.lo(pml4e) & ~X86_US, 0); // supervisor only from the top
    const fu = fault(walk(0x40_0000, 'read', true));
    expect([fu.reason, fu.code]).toEqual(['protection', 0b101]);
    expect(ok(walk(0x40_0000, 'read', false)).gpa).toBe(0x20_0000);
  });

  it('honours XD only with EFER.NXE; without NXE the XD bit is reserved', () => {
    const { b, ram, cfg } = setup();
    b.map(0x40_0000, 0x20_0000, 1, X86_RW, true);
    const f = fault(walkX86(ram, cfg, gva(0x40_0000), 'exec', false));
    expect([f.reason, f.code]).toEqual(['protection', 0b1_0001]);
    expect(ok(walkX86(ram, cfg, gva(0x40_0000), 'read', false)).prot).toBe(PROT_READ | PROT_WRITE);
    const r = fault(walkX86(ram, { ...cfg, nxe: false }, gva(0x40_0000), 'read', false));
    expect([r.reason, r.level, r.code]).toEqual(['reserved', 1, 0b1001]);
  });

  it('XD in an upper level forbids execution of everything below it', () => {
    const { b, ram, walk } = setup();
    b.map(0x40_0000, 0x20_0000, 1, X86_RW);
    const pde = b.entryAt(0x40_0000, 2);
    ram.set(pde, ram.lo(pde), 0x8000_0000);
    expect(fault(walk(0x40_0000, 'exec')).reason).toBe('protection');
  });

  it('applies SMEP and SMAP to supervisor accesses of user pages', () => {
    const { b, ram, cfg } = setup();
    b.map(0x40_0000, 0x20_0000, 1, X86_RW | X86_US);
    const at = gva(0x40_0000);
    expect(fault(walkX86(ram, { ...cfg, smep: true }, at, 'exec', false)).code).toBe(0b1_0001);
    expect(fault(walkX86(ram, { ...cfg, smap: true }, at, 'read', false)).code).toBe(0b0001);
    expect(ok(walkX86(ram, { ...cfg, smap: true, ac: true }, at, 'write', false)).gpa).toBe(0x20_0000);
    expect(ok(walkX86(ram, { ...cfg, smep: true }, at, 'exec', true)).gpa).toBe(0x20_0000);
  });

  it('reports reserved bits: PS in a PML4E, address above MAXPHYADDR, large-page reserved bits', () => {
    const { b, ram, cfg, walk } = setup();
    b.map(0x40_0000, 0x20_0000, 1, X86_RW);
    const pml4e = b.entryAt(0x40_0000, 4);
    ram.set(pml4e, ram.lo(pml4e) | 0x80, 0);
    expect(fault(walk(0x40_0000))).toMatchObject({ reason: 'reserved', level: 4, code: 0b1001 });
    ram.set(pml4e, ram.lo(pml4e) & ~0x80, 0);
    const pte = b.entryAt(0x40_0000, 1);
    ram.set(pte, ram.lo(pte), 0x1_0000); // bit 48
    expect(fault(walk(0x40_0000))).toMatchObject({ reason: 'reserved', level: 1 });
    expect(ok(walkX86(ram, { ...cfg, maxPhysBits: 52 }, gva(0x40_0000), 'read', false)).gpa).toBe(
      2 ** 48 + 0x20_0000,
    );
    const big = b.map(0x80_0000, 0x40_0000, 2, X86_RW);
    ram.set(big, ram.lo(big) | 0x2000, 0); // bit 13 of a 2 MiB leaf
    expect(fault(walk(0x80_0000))).toMatchObject({ reason: 'reserved', level: 2 });
  });
});

describe('x86-64 walk: Accessed and Dirty', () => {
  const levels = (b: X86Builder, va: number) => [4, 3, 2, 1].map((l) => b.entryAt(va, l));

  it('a read sets A at every level and not D; a write then sets D on the leaf only', () => {
    const { b, ram, walk } = setup();
    b.map(0x40_0000, 0x20_0000, 1, X86_RW);
    const es = levels(b, 0x40_0000);
    const r = ok(walk(0x40_0000, 'read'));
    expect(es.map((e) => ram.lo(e) & (X86_A | X86_D))).toEqual([X86_A, X86_A, X86_A, X86_A]);
    expect(r.tlbProt & PROT_WRITE).toBe(0); // D clear: write withheld from the TLB
    expect(r.prot & PROT_WRITE).toBe(PROT_WRITE);
    ram.writes = [];
    const w = ok(walk(0x40_0000, 'write'));
    expect(ram.writes).toEqual([{ gpa: es[3], value: ram.lo(es[3]) >>> 0 }]);
    expect(es.map((e) => ram.lo(e) & (X86_A | X86_D))).toEqual([X86_A, X86_A, X86_A, X86_A | X86_D]);
    expect(w.tlbProt & PROT_WRITE).toBe(PROT_WRITE);
    ram.writes = [];
    ok(walk(0x40_0000, 'write'));
    expect(ram.writes).toEqual([]); // nothing to set: no store at all
  });

  it('a write to a large page sets A and D on the PDE (its leaf)', () => {
    const { b, ram, walk } = setup();
    const e = b.map(0x60_0000, 0x80_0000, 2, X86_RW);
    ok(walk(0x60_1234, 'write'));
    expect(ram.lo(e) & (X86_A | X86_D)).toBe(X86_A | X86_D);
  });

  it('sets A on upper levels passed even when a lower level faults, never on the faulting leaf', () => {
    const { b, ram, walk } = setup();
    b.map(0x40_0000, 0x20_0000, 1, 0); // read-only leaf
    const es = levels(b, 0x40_0000);
    fault(walk(0x40_0000, 'write'));
    expect(es.map((e) => ram.lo(e) & X86_A)).toEqual([X86_A, X86_A, X86_A, 0]);
    const holes = levels(b, 0x40_1000);
    fault(walk(0x40_1000)); // PTE not present
    expect(ram.lo(holes[2]) & X86_A).toBe(X86_A);
    expect(ram.lo(holes[3])).toBe(0);
  });

  it('a dry run returns the same result and stores nothing', () => {
    const { b, ram, walk } = setup();
    b.map(0x40_0000, 0x20_0000, 1, X86_RW);
    const before = ram.snapshot();
    const dry = walk(0x40_0000, 'write', false, true);
    expect(ram.writes).toEqual([]);
    expect(ram.unchangedSince(before)).toBe(true);
    expect(walk(0x40_0000, 'write')).toEqual(dry);
  });
});

describe('x86-64 walk: nested misses (non-identity nested translation)', () => {
  const OFFSET = 0x30_0000;
  function nestedSetup() {
    const n = new OffsetNested(0, RAM, OFFSET);
    const b = new X86Builder(n.builderRam(), TABLES);
    const mem = n.access();
    const cfg: X86PagingConfig = { cr3: b.root, wp: true, nxe: true };
    return { n, b, mem, cfg };
  }

  it('reads the tables through the nested translation', () => {
    const { b, mem, cfg } = nestedSetup();
    b.map(0x40_0000, 0x20_0000, 1, X86_RW);
    expect(ok(walkX86(mem, cfg, gva(0x40_0042), 'read', false)).gpa).toBe(0x20_0042);
  });

  it('reports a miss on a guest table page with the guest level and the entry address', () => {
    const { n, b, mem, cfg } = nestedSetup();
    b.map(0x40_0000, 0x20_0000, 1, X86_RW);
    const pde = b.entryAt(0x40_0000, 2);
    n.missing.add(Math.floor(pde / 4096));
    const r = walkX86(mem, cfg, gva(0x40_0000), 'read', false);
    expect(r).toMatchObject({ kind: 'nested-miss', level: 2, gpa: pde, access: 'read' });
    n.missing.clear(); // the VMM maps it; the retry succeeds
    expect(ok(walkX86(mem, cfg, gva(0x40_0000), 'read', false)).gpa).toBe(0x20_0000);
  });

  it('reports a write miss when an A/D update needs write access to a read-only nested page', () => {
    const { n, b, mem, cfg } = nestedSetup();
    const leaf = b.map(0x40_0000, 0x20_0000, 1, X86_RW);
    n.readOnly.add(Math.floor(leaf / 4096));
    const r = walkX86(mem, cfg, gva(0x40_0000), 'read', false);
    expect(r).toMatchObject({ kind: 'nested-miss', level: 1, gpa: leaf, access: 'write' });
    n.readOnly.clear();
    ok(walkX86(mem, cfg, gva(0x40_0000), 'read', false));
  });

  it('a dry run does not need write access to the tables', () => {
    const { n, b, mem, cfg } = nestedSetup();
    const leaf = b.map(0x40_0000, 0x20_0000, 1, X86_RW);
    n.readOnly.add(Math.floor(leaf / 4096));
    expect(ok(walkX86(mem, cfg, gva(0x40_0000), 'write', false, { dryRun: true })).gpa).toBe(0x20_0000);
  });
});

describe('x86-64 configuration and decoding', () => {
  it('decodes CR0/CR3/CR4/EFER/RFLAGS', () => {
    const c = x86ConfigFromRegs(0x8001_0033, 0x12_3000 | 0x18, 0x30_0020, 0xd00, 1 << 18);
    expect(c).toMatchObject({ cr3: 0x12_3018, wp: true, nxe: true, smep: true, smap: true, ac: true });
    expect(x86ConfigFromRegs(0x8000_0033, 0, 0x20, 0x500)).toMatchObject({
      wp: false,
      nxe: false,
      smep: false,
    });
    expect(x86PagingEnabled(0x8000_0001, 0x20, 0x500)).toBe(true);
    expect(x86PagingEnabled(0x0000_0001, 0x20, 0x500)).toBe(false);
    expect(x86PagingEnabled(0x8000_0001, 0x00, 0x500)).toBe(false);
  });

  it('names the bits of entries at each level', () => {
    const pte = decodeX86Entry(0x0023_4067, 0x8000_0000, 1);
    expect(pte).toMatchObject({ kind: 'leaf', present: true, address: 0x23_4000, pageSize: 4096 });
    const byName = Object.fromEntries(pte.fields.map((f) => [f.name, f.value]));
    expect(byName).toMatchObject({ P: 1, 'R/W': 1, 'U/S': 1, A: 1, D: 1, G: 0, XD: 1, ADDR: 0x23_4000 });
    expect(pte.hex).toBe('0x80000000_00234067');
    expect(decodeX86Entry(0x0060_10e3, 0, 2)).toMatchObject({
      kind: 'leaf',
      address: 0x60_0000,
      pageSize: 2 * MiB,
    });
    expect(decodeX86Entry(0x4000_0083, 0, 3)).toMatchObject({ kind: 'leaf', address: GiB, pageSize: GiB });
    expect(decodeX86Entry(0x0000_5023, 0x1, 4)).toMatchObject({ kind: 'table', address: 2 ** 32 + 0x5000 });
    expect(decodeX86Entry(0x0000_50a3, 0, 4).kind).toBe('reserved');
    expect(decodeX86Entry(0x0000_5022, 0, 1)).toMatchObject({ kind: 'invalid', present: false, address: 0 });
  });
});
