import { describe, expect, it } from 'vitest';
import { gva } from '../../../mmu/addr.js';
import {
  X86_RW,
  formatWalkRef,
  refCount,
  refNumber,
  walkGuest,
  walkTwoDimensional,
  type GuestPaging,
  type GuestRef,
  type NestedRef,
  type TwoDimWalk,
} from '../../../mmu/guest-walk/index.js';
import { Arm64Builder, OffsetNested, X86Builder } from './fakes.js';

const MiB = 1 << 20;
const OFFSET = 0x80_0000; // guest-physical 0 lives at host-physical 8 MiB

function x86(offset = OFFSET) {
  const n = new OffsetNested(0, 8 * MiB, offset);
  const b = new X86Builder(n.builderRam(), 0x10_0000);
  const paging: GuestPaging = { arch: 'x86_64', cfg: { cr3: b.root, wp: true, nxe: true } };
  return { n, b, paging };
}

/** 'n' for a nested reference, 'g' for a guest one: the shape of the walk at a glance. */
const shape = (w: TwoDimWalk) => w.refs.map((r) => (r.dim === 'nested' ? 'n' : 'g')).join('');

describe('two-dimensional walk', () => {
  it('lists 24 references for a 4-level guest walk over a 4-level nested walk, in hardware order', () => {
    const { n, b, paging } = x86();
    b.map(0x40_1000, 0x20_3000, 1, X86_RW);
    const w = walkTwoDimensional(paging, gva(0x40_1234), 'read', false, n, n.host);
    expect(w.refs.length).toBe(24);
    expect(shape(w)).toBe('nnnng'.repeat(4) + 'nnnn');
    expect(w.refs.map((r) => r.index)).toEqual([...Array(24).keys()]);
    const guests = w.refs.filter((r): r is GuestRef => r.dim === 'guest');
    expect(guests.map((g) => g.level)).toEqual([4, 3, 2, 1]);
    expect(guests.map((g) => g.entry)).toEqual([4, 3, 2, 1].map((l) => b.entryAt(0x40_1000, l)));
    for (const g of guests) expect(g.hpa).toBe(g.entry + OFFSET); // read where the nested walk pointed
    expect(guests.map((g) => g.decoded.kind)).toEqual(['table', 'table', 'table', 'leaf']);
    // each group of nested references translates the guest entry that follows it
    for (let i = 0; i < 4; i++) {
      const group = w.refs.slice(i * 5, i * 5 + 4) as NestedRef[];
      expect(group.map((r) => r.level)).toEqual([4, 3, 2, 1]);
      expect(group.every((r) => r.purpose === 'guest-table' && r.translating === guests[i].entry)).toBe(true);
      expect(group.every((r) => r.guestLevel === guests[i].level)).toBe(true);
    }
    const final = w.refs.slice(20) as NestedRef[];
    expect(
      final.every((r) => r.purpose === 'final' && r.translating === 0x20_3234 && r.guestLevel === null),
    ).toBe(true);
    expect(w.final).toEqual({ gpa: 0x20_3234, hpa: 0x20_3234 + OFFSET, fault: undefined });
    expect(w.guest).toMatchObject({ kind: 'ok', gpa: 0x20_3234 });
  });

  it('is a dry run: host RAM is unchanged, and the guest result equals a dry walkGuest', () => {
    const { n, b, paging } = x86();
    b.map(0x40_1000, 0x20_3000, 1, X86_RW);
    const before = n.host.u32.slice();
    const w = walkTwoDimensional(paging, gva(0x40_1234), 'write', false, n, n.host);
    expect(Buffer.from(n.host.u32.buffer).equals(Buffer.from(before.buffer))).toBe(true);
    const dry = walkGuest(paging, n.access(), gva(0x40_1234), 'write', false, { dryRun: true });
    expect(w.guest).toEqual(dry);
  });

  it('lists fewer references when the guest maps a large page: 19 for 2 MiB, 14 for 1 GiB', () => {
    const { n, b, paging } = x86();
    b.map(0x60_0000, 0x40_0000, 2, X86_RW);
    b.map(2 ** 30, 0, 3, X86_RW);
    const w2 = walkTwoDimensional(paging, gva(0x60_0010), 'read', false, n, n.host);
    expect(shape(w2)).toBe('nnnng'.repeat(3) + 'nnnn');
    const w1 = walkTwoDimensional(paging, gva(2 ** 30 + 0x10), 'read', false, n, n.host);
    expect(shape(w1)).toBe('nnnng'.repeat(2) + 'nnnn');
    expect(w1.final?.gpa).toBe(0x10);
  });

  it('lists 24 references for arm64 with 4 levels, 19 with T0SZ=25 (3 levels)', () => {
    const base = 0x4000_0000;
    const n = new OffsetNested(base, 8 * MiB, 0x100_0000 - base);
    const b = new Arm64Builder(n.builderRam(), base + 0x10_0000);
    b.map(0x7f00_0000_0000, base + 0x20_0000, 3, 1 << 10);
    const paging: GuestPaging = { arch: 'arm64', cfg: { ttbr0: b.root, t0sz: 16, ha: false, hd: false } };
    const w = walkTwoDimensional(paging, gva(0x7f00_0000_0008), 'read', false, n, n.host);
    expect(shape(w)).toBe('nnnng'.repeat(4) + 'nnnn');
    expect(w.refs.filter((r) => r.dim === 'guest').map((r) => r.level)).toEqual([0, 1, 2, 3]);
    expect(w.final?.hpa).toBe(0x100_0000 + 0x20_0008);

    const b3 = new Arm64Builder(n.builderRam(), base + 0x30_0000, 1);
    b3.map(0x40_0000, base + 0x20_0000, 3, 1 << 10);
    const p3: GuestPaging = { arch: 'arm64', cfg: { ttbr0: b3.root, t0sz: 25, ha: false, hd: false } };
    const w3 = walkTwoDimensional(p3, gva(0x40_0000), 'read', false, n, n.host);
    expect(shape(w3)).toBe('nnnng'.repeat(3) + 'nnnn');
  });

  it('with guest paging off lists only the nested walk of the address', () => {
    const { n } = x86();
    const w = walkTwoDimensional(null, gva(0x1234), 'read', false, n, n.host);
    expect(shape(w)).toBe('nnnn');
    expect(w.final?.hpa).toBe(0x1234 + OFFSET);
  });

  it('stops at a nested miss on a guest table, attributing it to the guest level', () => {
    const { n, b, paging } = x86();
    b.map(0x40_1000, 0x20_3000, 1, X86_RW);
    const pde = b.entryAt(0x40_1000, 2);
    n.missing.add(Math.floor(pde / 4096));
    const w = walkTwoDimensional(paging, gva(0x40_1234), 'read', false, n, n.host);
    expect(shape(w)).toBe('nnnngnnnngnnnn'); // PML4E, PDPTE, then the PD page's nested walk fails at level 1
    expect(w.guest).toMatchObject({ kind: 'nested-miss', level: 2, gpa: pde });
    const last = w.refs[w.refs.length - 1] as NestedRef;
    expect([last.guestLevel, last.translating, last.lo]).toEqual([2, pde, 0]);
    expect(w.final).toBeUndefined();
  });

  it('stops at a guest fault after the guest entry that caused it', () => {
    const { n, b, paging } = x86();
    b.map(0x40_1000, 0x20_3000, 1, 0); // read-only
    const w = walkTwoDimensional(paging, gva(0x40_1000), 'write', false, n, n.host);
    expect(shape(w)).toBe('nnnng'.repeat(4));
    expect(w.guest).toMatchObject({ kind: 'guest-fault', reason: 'protection', level: 1 });
  });

  it('reports a nested fault on the final address', () => {
    const { n, b, paging } = x86();
    b.map(0x40_1000, 0x20_3000, 1, X86_RW);
    n.missing.add(0x203);
    const w = walkTwoDimensional(paging, gva(0x40_1000), 'read', false, n, n.host);
    expect(w.final).toMatchObject({ gpa: 0x20_3000, fault: { reason: 'not-present', level: 1 } });
    expect(w.final?.hpa).toBeUndefined();
    expect(w.refs.length).toBe(24);
  });

  it('formats one line per reference', () => {
    const { n, b, paging } = x86();
    b.map(0x40_1000, 0x20_3000, 1, X86_RW);
    const w = walkTwoDimensional(paging, gva(0x40_1000), 'read', false, n, n.host);
    const lines = w.refs.map((r) => formatWalkRef(paging, r));
    expect(lines[4]).toMatch(/^#5 guest {2}PML4E/);
    expect(lines[0]).toMatch(/^#1 nested L4 .*guest PML4E table/);
    expect(lines[23]).toMatch(/^#24 .*for data gpa 0x203000/);
    const named = w.refs.map((r) => formatWalkRef(paging, r, (l) => ['', 'PTE', 'PDE', 'PDPTE', 'PML4E'][l]));
    expect(named[0]).toMatch(/^#1 nested PML4E .*guest PML4E table/);
    expect(refCount(w)).toBe(24);
    expect(w.refs.map(refNumber)).toEqual([...Array(24).keys()].map((i) => i + 1));
  });
});
