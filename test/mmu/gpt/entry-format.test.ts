/*
 * Conformance suite: the invariants of mmu/gpt/entry-format.ts, run once per entry format.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hfn } from '../../../mmu/addr.js';
import { formatDecoded, newWords } from '../../../mmu/gpt/entry-format.js';
import type { EntryFormat, PteWords } from '../../../mmu/gpt/entry-format.js';
import { FORMATS, FORMAT_NAMES } from '../../../mmu/gpt/formats.js';
import { PROT_READ, PROT_WRITE } from '../../../mmu/prot.js';
import type { MemType, Prot } from '../../../mmu/prot.js';

/* What each format can express of a requested prot (DESIGN §4; W always implies R). */
const expectedProt: Record<string, (p: Prot) => Prot> = {
  ept: (p) => (p & PROT_WRITE ? p | PROT_READ : p),
  npt: (p) => p | PROT_READ,
  s2: (p) => p | PROT_READ,
};
/* Largest frame the format's address field can hold (bits 51:12 or 47:12). */
const maxFrame: Record<string, number> = { ept: 2 ** 40 - 1, npt: 2 ** 40 - 1, s2: 2 ** 36 - 1 };

const u32 = new Uint32Array(2);
const storedBack = (w: PteWords): PteWords => {
  u32[0] = w.lo;
  u32[1] = w.hi;
  return { lo: u32[0], hi: u32[1] };
};

describe.each(FORMAT_NAMES.map((n) => [n, FORMATS[n]] as [string, EntryFormat]))(
  'entry format %s',
  (name, f) => {
    const w = newWords();
    const frames = [0, 1, 0x12345, 0xfffff, 0x100000, 0x1234_5678, maxFrame[name]];
    const mts: MemType[] = ['wb', 'uc'];

    it('names itself', () => {
      expect(f.name).toBe(name);
      expect(FORMATS[f.name]).toBe(f);
    });

    it('a zero entry is not present', () => {
      expect(f.isPresent(0, 0)).toBe(false);
    });

    it('table pointers are present and name their frame', () => {
      for (const fr of frames) {
        f.table(w, hfn(fr));
        expect(f.isPresent(w.lo, w.hi)).toBe(true);
        expect(f.frameOf(w.lo, w.hi)).toBe(fr);
        expect(storedBack(w)).toEqual(w);
      }
    });

    it('leaves round-trip frame, prot and memory type, with A/D clear', () => {
      for (const fr of frames)
        for (let p = 1; p <= 7; p++)
          for (const mt of mts) {
            f.leaf(w, hfn(fr), p, mt);
            expect(storedBack(w)).toEqual(w);
            expect(f.isPresent(w.lo, w.hi)).toBe(true);
            expect(f.frameOf(w.lo, w.hi)).toBe(fr);
            expect(f.protOf(w.lo, w.hi)).toBe(expectedProt[name](p));
            expect(f.memTypeOf(w.lo, w.hi)).toBe(mt);
            expect(f.isAccessed(w.lo, w.hi)).toBe(false);
            expect(f.isDirty(w.lo, w.hi)).toBe(false);
          }
    });

    it('A/D transforms change only A/D state, and only in the low half', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: maxFrame[name] }),
          fc.integer({ min: 1, max: 7 }),
          fc.constantFrom<MemType>('wb', 'uc'),
          (fr, p, mt) => {
            const leaf = newWords();
            f.leaf(leaf, hfn(fr), p, mt);
            const writable = (f.protOf(leaf.lo, leaf.hi) & PROT_WRITE) !== 0;
            const same = (x: PteWords): void => {
              expect(x.hi).toBe(leaf.hi);
              expect(f.frameOf(x.lo, x.hi)).toBe(fr);
              expect(f.protOf(x.lo, x.hi)).toBe(f.protOf(leaf.lo, leaf.hi));
              expect(f.memTypeOf(x.lo, x.hi)).toBe(mt);
              expect(f.isPresent(x.lo, x.hi)).toBe(true);
              expect(storedBack(x)).toEqual(x);
            };
            const a = newWords();
            f.setAccessed(a, leaf.lo, leaf.hi);
            same(a);
            expect([f.isAccessed(a.lo, a.hi), f.isDirty(a.lo, a.hi)]).toEqual([true, false]);
            const d = newWords();
            f.setDirty(d, leaf.lo, leaf.hi);
            same(d);
            expect(f.isAccessed(d.lo, d.hi)).toBe(true);
            if (f.isDirty(d.lo, d.hi)) expect(d.lo & f.dirtyLoMask).not.toBe(0);
            // a page the hardware cannot write never becomes dirty
            expect(f.isDirty(d.lo, d.hi)).toBe(writable);
            const c = newWords();
            f.clearDirty(c, d.lo, d.hi);
            same(c);
            expect([f.isAccessed(c.lo, c.hi), f.isDirty(c.lo, c.hi)]).toEqual([true, false]);
            f.clearAccessed(c, d.lo, d.hi);
            same(c);
            expect([f.isAccessed(c.lo, c.hi), f.isDirty(c.lo, c.hi)]).toEqual([false, false]);
            expect(c).toEqual(leaf);
          },
        ),
        { numRuns: 300 },
      );
    });

    it('dirtyLoMask is a necessary condition of isDirty, for any bit pattern', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: 0xffffffff }),
          fc.integer({ min: 0, max: 0xffffffff }),
          (lo, hi) => {
            if (f.isDirty(lo, hi)) expect(lo & f.dirtyLoMask).not.toBe(0);
            expect(f.isDirty(lo & ~f.dirtyLoMask, hi)).toBe(false);
          },
        ),
        { numRuns: 500 },
      );
    });

    it('root pointer carries the root address', () => {
      f.rootPointer(w, hfn(0x12345), { adEnabled: true, vmid: 1 });
      const d = f.decode(w.lo, w.hi, 'root');
      expect(d.fields.find((x) => x.name === 'ADDR')?.value).toBe(0x1234_5000);
      expect(storedBack(w)).toEqual(w);
    });

    it('decode agrees with the parsers', () => {
      for (let p = 1; p <= 7; p++) {
        f.leaf(w, hfn(0x4242), p, 'uc');
        const d = f.decode(w.lo, w.hi, 'leaf');
        expect(d.format).toBe(name);
        expect(d.present).toBe(true);
        expect(d.fields.find((x) => x.name === 'ADDR')?.value).toBe(0x4242000);
        expect(formatDecoded(d)).toContain(d.hex);
      }
      expect(f.decode(0, 0, 'leaf').present).toBe(false);
      f.table(w, hfn(9));
      expect(f.decode(w.lo, w.hi, 'table').present).toBe(true);
    });
  },
);
