import { describe, expect, it } from 'vitest';
import { gpa, gva } from '../../../mmu/addr.js';
import {
  decodeGuestEntry,
  guestLevelName,
  nestedGuestAccess,
  newWord64,
  walkGuest,
} from '../../../mmu/guest-walk/index.js';
import { PROT_ALL } from '../../../mmu/prot.js';
import { Arm64Builder, FlatRam, OffsetNested, X86Builder } from './fakes.js';

describe('walkGuest', () => {
  it('is the identity with every right while guest paging is off, touching no memory', () => {
    const ram = new FlatRam(0, 4096);
    expect(walkGuest(null, ram, gva(0x12_3456), 'write', true)).toEqual({
      kind: 'ok',
      gva: 0x12_3456,
      gpa: 0x12_3456,
      level: 0,
      pageSize: 4096,
      leaf: 0,
      prot: PROT_ALL,
      tlbProt: PROT_ALL,
    });
    expect(ram.reads).toBe(0);
  });

  it('dispatches on the architecture', () => {
    const x = new FlatRam(0, 1 << 20);
    const bx = new X86Builder(x, 0x1000);
    bx.map(0x5000, 0x7000, 1, 2);
    expect(
      walkGuest(
        { arch: 'x86_64', cfg: { cr3: bx.root, wp: true, nxe: true } },
        x,
        gva(0x5010),
        'read',
        false,
      ),
    ).toMatchObject({
      kind: 'ok',
      gpa: 0x7010,
    });
    const a = new FlatRam(0, 1 << 20);
    const ba = new Arm64Builder(a, 0x1000);
    ba.map(0x5000, 0x8000, 3, 1 << 10);
    const cfg = { ttbr0: ba.root, t0sz: 16, ha: false, hd: false };
    expect(walkGuest({ arch: 'arm64', cfg }, a, gva(0x5010), 'read', false)).toMatchObject({
      kind: 'ok',
      gpa: 0x8010,
    });
  });

  it('names levels and decodes entries per architecture', () => {
    expect([4, 3, 2, 1].map((l) => guestLevelName('x86_64', l))).toEqual(['PML4E', 'PDPTE', 'PDE', 'PTE']);
    expect([0, 3].map((l) => guestLevelName('arm64', l))).toEqual(['L0', 'L3']);
    expect(decodeGuestEntry('x86_64', 0x1003, 0, 4)).toMatchObject({
      format: 'x86-64',
      kind: 'table',
      address: 0x1000,
    });
    expect(decodeGuestEntry('arm64', 0x1003, 0, 0)).toMatchObject({
      format: 'arm64-s1',
      kind: 'table',
      address: 0x1000,
    });
  });
});

describe('nestedGuestAccess', () => {
  it('reads and writes through the nested translation and reports misses as values', () => {
    const n = new OffsetNested(0, 64 * 1024, 0x4000);
    const mem = nestedGuestAccess(n, n.host);
    n.host.u32[(0x2008 + 0x4000) / 4] = 0xdead_beef;
    n.host.u32[(0x2008 + 0x4000) / 4 + 1] = 0x1234;
    const w = newWord64();
    expect(mem.read64(gpa(0x2008), w)).toBeNull();
    expect(w).toEqual({ lo: 0xdead_beef, hi: 0x1234 });
    expect(mem.write32(gpa(0x2008), 0xffff_ffff)).toBeNull();
    expect(n.host.u32[(0x2008 + 0x4000) / 4]).toBe(0xffff_ffff);
    n.missing.add(2);
    expect(mem.read64(gpa(0x2008), w)).toEqual({ kind: 'nested-miss', gpa: 0x2008, access: 'read' });
    n.missing.clear();
    n.readOnly.add(2);
    expect(mem.write32(gpa(0x2008), 0)).toEqual({ kind: 'nested-miss', gpa: 0x2008, access: 'write' });
    expect(mem.read64(gpa(0x2008), w)).toBeNull();
  });

  it('treats a translation outside host RAM (a device aperture) as unusable for tables', () => {
    const n = new OffsetNested(0, 64 * 1024, 0x4000);
    const small = { u32: new Uint32Array(0x5000 / 4) }; // host RAM ends at 0x5000
    const mem = nestedGuestAccess(n, small);
    expect(mem.read64(gpa(0x2000), newWord64())).toMatchObject({ kind: 'nested-miss', gpa: 0x2000 });
    expect(mem.read64(gpa(0x0ff8), newWord64())).toBeNull();
  });
});
