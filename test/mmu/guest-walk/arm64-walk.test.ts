import { describe, expect, it } from 'vitest';
import { gva } from '../../../mmu/addr.js';
import {
  A64_AF,
  A64_AP2,
  arm64ConfigFromRegs,
  arm64MmuEnabled,
  decodeArm64Descriptor,
  walkArm64,
  type Arm64Stage1Config,
  type WalkResult,
} from '../../../mmu/guest-walk/index.js';
import { PROT_EXEC, PROT_READ, PROT_WRITE } from '../../../mmu/prot.js';
import { Arm64Builder, FlatRam, OffsetNested } from './fakes.js';

const MiB = 1 << 20;
const GiB = 2 ** 30;
const RAM_BASE = 0x4000_0000; // QEMU virt
const RAM = 8 * MiB;
const TABLES = RAM_BASE + 0x10_0000;

/* descriptor attribute bits used below */
const AF = A64_AF;
const AP_EL0 = 1 << 6; // AP[1]
const AP_RO = A64_AP2; // AP[2]
const DBM = 1 << 19; // hi
const PXN = 1 << 21; // hi
const UXN = 1 << 22; // hi

function setup(cfg: Partial<Arm64Stage1Config> = {}, start = 0) {
  const ram = new FlatRam(RAM_BASE, RAM);
  const b = new Arm64Builder(ram, TABLES, start);
  const c: Arm64Stage1Config = { ttbr0: b.root, t0sz: 16, ha: false, hd: false, ...cfg };
  const walk = (
    va: number,
    access: 'read' | 'write' | 'exec' = 'read',
    user = false,
    over: Partial<Arm64Stage1Config> = {},
  ) => walkArm64(ram, { ...c, ...over }, gva(va), access, user);
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

describe('arm64 stage-1 walk: translations', () => {
  it('translates a 4 KiB page through levels 0-3 with T0SZ=16', () => {
    const { b, walk } = setup();
    const leaf = b.map(0x7f00_0000_0000, RAM_BASE + 0x20_0000, 3, AF);
    const r = ok(walk(0x7f00_0000_0abc));
    expect([r.gpa, r.level, r.pageSize, r.leaf]).toEqual([RAM_BASE + 0x20_0abc, 3, 4096, leaf]);
    expect(r.prot).toBe(PROT_READ | PROT_WRITE | PROT_EXEC);
  });

  it('translates level-2 (2 MiB) and level-1 (1 GiB) blocks', () => {
    const { b, walk } = setup();
    b.map(0x20_0000, RAM_BASE + 0x40_0000, 2, AF);
    b.map(3 * GiB, GiB, 1, AF);
    expect(ok(walk(0x21_2345))).toMatchObject({ gpa: RAM_BASE + 0x41_2345, level: 2, pageSize: 2 * MiB });
    expect(ok(walk(3 * GiB + 0x1234_5678))).toMatchObject({
      gpa: GiB + 0x1234_5678,
      level: 1,
      pageSize: GiB,
    });
  });

  it('starts at level 1 with T0SZ=25 (39-bit VA, 3 levels) and at level 0 with a 32-entry table for T0SZ=20', () => {
    const three = setup({ t0sz: 25 }, 1);
    three.b.map(0x40_1000, RAM_BASE + 0x30_0000, 3, AF);
    expect(ok(three.walk(0x40_1010)).gpa).toBe(RAM_BASE + 0x30_0010);
    expect(fault(three.walk(2 ** 39))).toMatchObject({ reason: 'address-range', level: 0, code: 0x04 });
    const small = setup({ t0sz: 20 });
    small.b.map(0xf00_0000_0000, RAM_BASE + 0x31_0000, 3, AF);
    expect(ok(small.walk(0xf00_0000_0008)).gpa).toBe(RAM_BASE + 0x31_0008);
    expect(fault(small.walk(2 ** 44)).reason).toBe('address-range');
  });

  it('uses TTBR1 for addresses with the top bits set, when configured', () => {
    const { ram, b, cfg } = setup();
    const b1 = new Arm64Builder(ram, RAM_BASE + 0x60_0000);
    // 0xffff_ffff_ffe0_0000 is the last 2 MiB of the TTBR1 region; index bits = low 48 bits
    b1.map(2 ** 48 - 2 * MiB, RAM_BASE + 0x50_0000, 3, AF);
    const c = { ...cfg, ttbr1: b1.root, t1sz: 16 };
    const r = ok(walkArm64(ram, c, gva(-2 * MiB + 0x44), 'read', false));
    expect(r.gpa).toBe(RAM_BASE + 0x50_0044);
    expect(fault(walkArm64(ram, cfg, gva(-2 * MiB), 'read', false)).reason).toBe('address-range');
    expect(fault(walkArm64(ram, { ...c, epd1: true }, gva(-2 * MiB), 'read', false))).toMatchObject({
      reason: 'not-present',
      level: 0,
    });
    void b;
  });

  it('ignores the top byte with TBI0', () => {
    const { b, walk } = setup();
    b.map(0x1000, RAM_BASE + 0x20_0000, 3, AF);
    const tagged = 0x5a * 2 ** 56 + 0x1000;
    expect(fault(walk(tagged)).reason).toBe('address-range');
    expect(ok(walk(tagged, 'read', false, { tbi0: true })).gpa).toBe(RAM_BASE + 0x20_0000);
  });
});

describe('arm64 stage-1 walk: faults', () => {
  it('reports a translation fault at the invalid level with FSC 0b0001LL', () => {
    const { b, ram, walk } = setup();
    expect(fault(walk(0x1000))).toMatchObject({ reason: 'not-present', level: 0, code: 0x04 });
    b.map(0x40_0000, RAM_BASE, 3, AF);
    expect(fault(walk(0x80_0000_0000 * 3)).level).toBe(0);
    expect(fault(walk(GiB))).toMatchObject({ level: 1, code: 0x05 });
    expect(fault(walk(0x60_0000))).toMatchObject({ level: 2, code: 0x06 });
    expect(fault(walk(0x40_1000, 'write', true))).toMatchObject({
      level: 3,
      code: 0x07,
      user: true,
      access: 'write',
    });
    // a block encoding at level 3 and at level 0 is reserved: also a translation fault
    const e3 = b.entryAt(0x40_0000, 3);
    ram.set(e3, ram.lo(e3) & ~2, 0);
    expect(fault(walk(0x40_0000))).toMatchObject({ reason: 'not-present', level: 3 });
    const e0 = b.entryAt(0, 0);
    ram.set(e0, (ram.lo(e0) & ~2) | AF, 0);
    expect(fault(walk(0x40_0000))).toMatchObject({ reason: 'not-present', level: 0 });
  });

  it('AP[2:1] at EL1 and EL0', () => {
    const { b, walk } = setup();
    const va = (n: number) => 0x40_0000 + n * 0x1000;
    b.map(va(0), RAM_BASE, 3, AF); // 00: EL1 RW
    b.map(va(1), RAM_BASE, 3, AF | AP_EL0); // 01: EL1 RW, EL0 RW
    b.map(va(2), RAM_BASE, 3, AF | AP_RO); // 10: EL1 RO
    b.map(va(3), RAM_BASE, 3, AF | AP_RO | AP_EL0); // 11: EL1 RO, EL0 RO
    const R = PROT_READ;
    const W = PROT_WRITE;
    const X = PROT_EXEC;
    const prot = (n: number, user: boolean) => {
      const r = walk(va(n), 'read', user);
      return r.kind === 'ok' ? r.prot : 0;
    };
    // EL1 may not execute a page EL0 can write (01)
    expect([0, 1, 2, 3].map((n) => prot(n, false))).toEqual([R | W | X, R | W, R | X, R | X]);
    expect([0, 1, 2, 3].map((n) => prot(n, true))).toEqual([0, R | W | X, 0, R | X]);
    expect(fault(walk(va(2), 'write'))).toMatchObject({ reason: 'protection', level: 3, code: 0x0f });
    expect(fault(walk(va(3), 'write', true))).toMatchObject({ reason: 'protection', code: 0x0f });
    expect(fault(walk(va(0), 'read', true))).toMatchObject({ reason: 'protection' });
    expect(ok(walk(va(1), 'write', true)).gpa).toBe(RAM_BASE);
  });

  it('PXN, UXN, WXN and PAN', () => {
    const { b, walk } = setup();
    b.map(0x40_0000, RAM_BASE, 3, AF | AP_EL0 | AP_RO, PXN);
    b.map(0x40_1000, RAM_BASE, 3, AF | AP_EL0 | AP_RO, UXN);
    b.map(0x40_2000, RAM_BASE, 3, AF);
    expect(fault(walk(0x40_0000, 'exec')).reason).toBe('protection');
    expect(ok(walk(0x40_0000, 'exec', true)).gpa).toBe(RAM_BASE);
    expect(fault(walk(0x40_1000, 'exec', true)).reason).toBe('protection');
    expect(ok(walk(0x40_1000, 'exec')).gpa).toBe(RAM_BASE);
    expect(ok(walk(0x40_2000, 'exec')).gpa).toBe(RAM_BASE);
    expect(fault(walk(0x40_2000, 'exec', false, { wxn: true })).reason).toBe('protection');
    expect(fault(walk(0x40_1000, 'read', false, { pan: true })).reason).toBe('protection');
    expect(ok(walk(0x40_2000, 'read', false, { pan: true })).gpa).toBe(RAM_BASE);
  });

  it('table descriptors restrict everything below: APTable, PXNTable, UXNTable; HPD disables them', () => {
    const { b, ram, walk } = setup();
    b.map(0x40_0000, RAM_BASE, 3, AF | AP_EL0);
    const l1 = b.entryAt(0x40_0000, 1);
    ram.set(l1, ram.lo(l1), 1 << 30); // APTable[1]: no write below
    expect(fault(walk(0x40_0000, 'write')).reason).toBe('protection');
    expect(ok(walk(0x40_0000, 'write', false, { hpd0: true })).gpa).toBe(RAM_BASE);
    ram.set(l1, ram.lo(l1), 1 << 29); // APTable[0]: no EL0 access below
    expect(fault(walk(0x40_0000, 'read', true)).reason).toBe('protection');
    expect(ok(walk(0x40_0000, 'write')).gpa).toBe(RAM_BASE);
    ram.set(l1, ram.lo(l1), 1 << 27); // PXNTable
    expect(fault(walk(0x40_0000, 'exec', false, {})).reason).toBe('protection');
    ram.set(l1, ram.lo(l1), 1 << 28); // UXNTable
    expect(fault(walk(0x40_0000, 'exec', true)).reason).toBe('protection');
    expect(ok(walk(0x40_0000, 'exec', true, { hpd0: true })).gpa).toBe(RAM_BASE);
  });

  it('reports an output address beyond the PA size as an address size fault', () => {
    const { b, walk } = setup({ paBits: 32 });
    b.map(0x40_0000, 0x1_0000_0000, 3, AF);
    expect(fault(walk(0x40_0000))).toMatchObject({ reason: 'address-size', level: 3, code: 0x03 });
  });

  it('refuses a granule other than 4 KiB as unsupported', () => {
    const { walk } = setup({ granule4k0: false });
    expect(fault(walk(0x1000)).reason).toBe('unsupported');
  });
});

describe('arm64 stage-1 walk: access flag and dirty state', () => {
  it('AF=0 with HA=0 is an access flag fault at the leaf level; nothing is written', () => {
    const { b, ram, walk } = setup();
    b.map(0x40_0000, RAM_BASE, 3, 0);
    b.map(0x60_0000, RAM_BASE, 2, 0);
    expect(fault(walk(0x40_0000))).toMatchObject({ reason: 'access-flag', level: 3, code: 0x0b });
    expect(fault(walk(0x60_0000))).toMatchObject({ reason: 'access-flag', level: 2, code: 0x0a });
    expect(ram.writes).toEqual([]);
  });

  it('AF=0 with HA=1: the walk sets AF (one store), and never touches table descriptors', () => {
    const { b, ram, walk } = setup({ ha: true });
    const leaf = b.map(0x40_0000, RAM_BASE, 3, 0);
    const tables = [0, 1, 2].map((l) => [b.entryAt(0x40_0000, l), ram.lo(b.entryAt(0x40_0000, l))]);
    ok(walk(0x40_0000));
    expect(ram.lo(leaf) & AF).toBe(AF);
    expect(ram.writes.map((w) => w.gpa)).toEqual([leaf]);
    expect(tables.map(([e]) => ram.lo(e))).toEqual(tables.map(([, lo]) => lo));
    ok(walk(0x40_0000));
    expect(ram.writes.length).toBe(1); // already set: no second store
  });

  it('AF is not set when the access then fails its permission check', () => {
    const { b, ram, walk } = setup({ ha: true });
    const leaf = b.map(0x40_0000, RAM_BASE, 3, AP_RO);
    fault(walk(0x40_0000, 'write'));
    expect(ram.lo(leaf) & AF).toBe(0);
  });

  it('DBM with HD=1: a read leaves the page clean and read-only, a write clears AP[2] (dirty)', () => {
    const { b, ram, walk } = setup({ ha: true, hd: true });
    const leaf = b.map(0x40_0000, RAM_BASE, 3, AF | AP_RO, DBM);
    const r = ok(walk(0x40_0000, 'read'));
    expect(r.prot & PROT_WRITE).toBe(0);
    expect(ram.writes).toEqual([]);
    const w = ok(walk(0x40_0000, 'write'));
    expect(ram.lo(leaf) & AP_RO).toBe(0);
    expect(ram.writes.length).toBe(1);
    expect(w.prot & PROT_WRITE).toBe(PROT_WRITE);
    expect(w.tlbProt & PROT_WRITE).toBe(PROT_WRITE);
  });

  it('AF and dirty state are updated in one store', () => {
    const { b, ram, walk } = setup({ ha: true, hd: true });
    const leaf = b.map(0x40_0000, RAM_BASE, 3, AP_RO, DBM);
    ok(walk(0x40_0000, 'write'));
    expect(ram.writes.length).toBe(1);
    expect(ram.lo(leaf) & (AF | AP_RO)).toBe(AF);
  });

  it('without HD (or with HD but not HA) a write to a DBM read-only page is a permission fault', () => {
    const { b, ram, walk } = setup({ ha: true, hd: false });
    const leaf = b.map(0x40_0000, RAM_BASE, 3, AF | AP_RO, DBM);
    expect(fault(walk(0x40_0000, 'write')).reason).toBe('protection');
    expect(fault(walk(0x40_0000, 'write', false, { ha: false, hd: true })).reason).toBe('protection');
    expect(ram.lo(leaf) & AP_RO).toBe(AP_RO);
  });

  it('APTable "no write" cannot be overridden by DBM', () => {
    const { b, ram, walk } = setup({ ha: true, hd: true });
    const leaf = b.map(0x40_0000, RAM_BASE, 3, AF | AP_RO, DBM);
    const l2 = b.entryAt(0x40_0000, 2);
    ram.set(l2, ram.lo(l2), 1 << 30);
    expect(fault(walk(0x40_0000, 'write')).reason).toBe('protection');
    expect(ram.lo(leaf) & AP_RO).toBe(AP_RO);
  });

  it('a dry run computes the same result and stores nothing', () => {
    const { b, ram, cfg } = setup({ ha: true, hd: true });
    b.map(0x40_0000, RAM_BASE, 3, AP_RO, DBM);
    const snap = ram.snapshot();
    const dry = walkArm64(ram, cfg, gva(0x40_0000), 'write', false, { dryRun: true });
    expect(ram.unchangedSince(snap)).toBe(true);
    expect(walkArm64(ram, cfg, gva(0x40_0000), 'write', false)).toEqual(dry);
  });
});

describe('arm64 stage-1 walk: nested misses', () => {
  it('reports the level and entry address of an unreachable table, and a write miss for an AF update', () => {
    const n = new OffsetNested(RAM_BASE, RAM, 0x200_0000 - RAM_BASE);
    const b = new Arm64Builder(n.builderRam(), TABLES);
    const mem = n.access();
    const cfg: Arm64Stage1Config = { ttbr0: b.root, t0sz: 16, ha: true, hd: false };
    const leaf = b.map(0x40_0000, RAM_BASE + 0x20_0000, 3, 0);
    const l1 = b.entryAt(0x40_0000, 1);
    n.missing.add(Math.floor(l1 / 4096));
    expect(walkArm64(mem, cfg, gva(0x40_0000), 'read', false)).toMatchObject({
      kind: 'nested-miss',
      level: 1,
      gpa: l1,
      access: 'read',
    });
    n.missing.clear();
    n.readOnly.add(Math.floor(leaf / 4096));
    expect(walkArm64(mem, cfg, gva(0x40_0000), 'read', false)).toMatchObject({
      kind: 'nested-miss',
      level: 3,
      gpa: leaf,
      access: 'write',
    });
    n.readOnly.clear();
    expect(ok(walkArm64(mem, cfg, gva(0x40_0010), 'read', false)).gpa).toBe(RAM_BASE + 0x20_0010);
  });
});

describe('arm64 configuration and decoding', () => {
  it('decodes TTBR0/TCR/SCTLR', () => {
    // TCR: T0SZ=16, TG0=4K, T1SZ=16, TG1=4K (0b10), IPS=0b101 (48), HA, HD, TBI0
    const tcr = { lo: (16 | (16 << 16) | (2 << 30)) >>> 0, hi: 0b101 | (1 << 5) | (1 << 7) | (1 << 8) };
    const c = arm64ConfigFromRegs({ lo: 0x4010_0001, hi: 0x0001_0000 }, tcr, (1 << 19) | 1);
    expect(c).toMatchObject({
      ttbr0: 0x4010_0000,
      t0sz: 16,
      granule4k0: true,
      paBits: 48,
      ha: true,
      hd: true,
    });
    expect(c).toMatchObject({ tbi0: true, tbi1: false, wxn: true, epd1: true, ttbr1: undefined });
    const d = arm64ConfigFromRegs({ lo: 0, hi: 0 }, { lo: 25 | (1 << 14), hi: 2 }, 0, { lo: 0x5000, hi: 0 });
    expect(d).toMatchObject({
      t0sz: 25,
      granule4k0: false,
      paBits: 40,
      ha: false,
      epd1: false,
      ttbr1: 0x5000,
    });
    expect(arm64MmuEnabled(0x30d0_1805)).toBe(true);
    expect(arm64MmuEnabled(0x30d0_1804)).toBe(false);
  });

  it('names descriptor bits', () => {
    const page = decodeArm64Descriptor(0x4020_07c3, UXN | DBM, 3);
    expect(page).toMatchObject({ kind: 'leaf', address: 0x4020_0000, pageSize: 4096, present: true });
    const f = Object.fromEntries(page.fields.map((x) => [x.name, x.value]));
    expect(f).toMatchObject({ AP: 3, SH: 3, AF: 1, UXN: 1, PXN: 0, DBM: 1, AttrIndx: 0 });
    expect(decodeArm64Descriptor(0x4020_0401, 0, 2)).toMatchObject({
      kind: 'leaf',
      address: 0x4020_0000,
      pageSize: 2 * MiB,
    });
    expect(decodeArm64Descriptor(0x4000_0003, 1 << 30, 1)).toMatchObject({
      kind: 'table',
      address: 0x4000_0000,
    });
    expect(decodeArm64Descriptor(0x4000_0001, 0, 0).kind).toBe('reserved');
    expect(decodeArm64Descriptor(0x4000_0001, 0, 3).kind).toBe('reserved');
    expect(decodeArm64Descriptor(0x4000_0002, 0, 3)).toMatchObject({ kind: 'invalid', present: false });
  });
});
