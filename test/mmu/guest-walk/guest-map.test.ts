// guestRanges over guest tables built by the reference builders (x86-64 and arm64), and a property
// test against a model: a random set of 4 KiB mappings is listed exactly, merged only where both
// spaces continue with equal rights, and reading the tables writes nothing.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gva } from '../../../mmu/addr.js';
import {
  A64_AF,
  X86_RW,
  X86_US,
  guestRanges,
  walkGuest,
  type GuestPaging,
} from '../../../mmu/guest-walk/index.js';
import { PROT_ALL, PROT_EXEC, PROT_READ, PROT_RW } from '../../../mmu/prot.js';
import { Arm64Builder, FlatRam, X86Builder } from './fakes.js';

const MiB = 1 << 20;
const TWO64 = 2 ** 64;

function x86() {
  const ram = new FlatRam(0, 8 * MiB);
  const b = new X86Builder(ram, 0x10_0000);
  const paging: GuestPaging = { arch: 'x86_64', cfg: { cr3: b.root, wp: true, nxe: true } };
  return { ram, b, paging };
}

describe('guestRanges on x86-64', () => {
  it('merges pages that continue in both spaces with equal rights, and splits the rest', () => {
    const { ram, b, paging } = x86();
    for (let i = 0; i < 4; i++) b.map(0x40_0000 + i * 4096, 0x20_0000 + i * 4096, 1, X86_RW);
    b.map(0x40_4000, 0x30_0000, 1, X86_RW); // continues in gva, not in gpa
    b.map(0x40_5000, 0x30_1000, 1, X86_RW | X86_US, true); // user, no execute
    b.map(0x60_0000, 0x40_0000, 2, 0); // a read-only 2 MiB page
    const before = ram.snapshot();
    const r = guestRanges(paging, ram);
    expect(r).toEqual([
      { gva: 0x40_0000, len: 0x4000, gpa: 0x20_0000, kernel: PROT_ALL, user: 0, pageSize: 4096 },
      { gva: 0x40_4000, len: 0x1000, gpa: 0x30_0000, kernel: PROT_ALL, user: 0, pageSize: 4096 },
      { gva: 0x40_5000, len: 0x1000, gpa: 0x30_1000, kernel: PROT_RW, user: PROT_RW, pageSize: 4096 },
      {
        gva: 0x60_0000,
        len: 2 * MiB,
        gpa: 0x40_0000,
        kernel: PROT_READ | PROT_EXEC,
        user: 0,
        pageSize: 2 * MiB,
      },
    ]);
    expect(ram.unchangedSince(before)).toBe(true);
    expect(ram.writes).toEqual([]);
  });

  it('lists the canonical upper half at its 64-bit address', () => {
    const { ram, b, paging } = x86();
    const high = TWO64 - 2 ** 47; // 0xffff_8000_0000_0000
    b.map(high + 0x1000, 0x20_0000, 1, X86_RW);
    const r = guestRanges(paging, ram);
    expect(r).toHaveLength(1);
    expect(r[0].gva.toString(16)).toBe('ffff800000001000');
    const w = walkGuest(paging, ram, gva(r[0].gva), 'read', false);
    expect(w).toMatchObject({ kind: 'ok', gpa: 0x20_0000 });
  });

  it('lists nothing while the guest does not page', () => {
    expect(guestRanges(null, new FlatRam(0, 4096))).toEqual([]);
  });

  it('agrees with the walker on every page of a random set of mappings (model)', () => {
    const page = fc.record({
      vpage: fc.integer({ min: 0, max: 63 }),
      ppage: fc.integer({ min: 0, max: 63 }),
      flags: fc.constantFrom(0, X86_RW, X86_US, X86_RW | X86_US),
    });
    fc.assert(
      fc.property(fc.array(page, { maxLength: 24 }), (pages) => {
        const { ram, b, paging } = x86();
        const model = new Map<number, { gpa: number; flags: number }>();
        for (const p of pages) {
          const va = 0x4000_0000 + p.vpage * 4096;
          const pa = 0x20_0000 + p.ppage * 4096;
          b.map(va, pa, 1, p.flags);
          model.set(va, { gpa: pa, flags: p.flags });
        }
        const ranges = guestRanges(paging, ram);
        expect(ranges.reduce((n, r) => n + r.len, 0)).toBe(model.size * 4096);
        for (let i = 1; i < ranges.length; i++)
          expect(ranges[i].gva).toBeGreaterThanOrEqual(ranges[i - 1].gva + ranges[i - 1].len);
        for (const [va, m] of model) {
          const r = ranges.find((x) => x.gva <= va && va < x.gva + x.len)!;
          expect(r.gpa + (va - r.gva)).toBe(m.gpa);
          const w = walkGuest(paging, ram, gva(va), 'read', false);
          expect(w.kind === 'ok' && w.prot).toBe(r.kernel);
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('guestRanges on arm64', () => {
  it('walks TTBR0 from 0 and TTBR1 up to 2^64, with the rights at EL1 and EL0', () => {
    const ram = new FlatRam(0x4000_0000, 8 * MiB);
    const b0 = new Arm64Builder(ram, 0x4010_0000);
    const b1 = new Arm64Builder(ram, 0x4020_0000);
    const EL0 = 1 << 6; // AP[1]: EL0 may read and write
    b0.map(0x4000_0000, 0x4040_0000, 3, A64_AF | EL0);
    b0.map(0x4000_1000, 0x4040_1000, 3, A64_AF | EL0);
    b0.map(0x4000_2000, 0x4050_0000, 3, 0); // AF = 0 without hardware AF: no access at all
    b1.map(TWO64 - 2 ** 48 + 0x3000, 0x4060_0000, 3, A64_AF);
    const paging: GuestPaging = {
      arch: 'arm64',
      cfg: { ttbr0: b0.root, t0sz: 16, ttbr1: b1.root, t1sz: 16, epd1: false, ha: false, hd: false },
    };
    const r = guestRanges(paging, ram);
    expect(r.map((x) => [x.gva.toString(16), x.len, x.gpa.toString(16), x.kernel, x.user])).toEqual([
      ['40000000', 0x2000, '40400000', PROT_RW, PROT_ALL],
      ['40002000', 0x1000, '40500000', 0, 0],
      // AP = 00 gives EL0 no data access, but UXN = 0 still lets it execute: execute-only
      ['ffff000000003000', 0x1000, '40600000', PROT_ALL, PROT_EXEC],
    ]);
    expect(ram.writes).toEqual([]);
  });
});
