import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseGpa, parseGva, parseHfn, parseHpa } from '../../mmu/addr.js';
import { forEachPage, word32le } from '../../mmu/page-pieces.js';

describe('address parsing', () => {
  it('reads decimal and 0x text, and numbers, as the same address', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (n) => {
        expect(parseGpa(n)).toBe(n);
        expect(parseGva(`0x${n.toString(16)}`)).toBe(n);
        expect(parseHpa(` ${n} `)).toBe(n);
        expect(parseHfn(`0X${n.toString(16).toUpperCase()}`)).toBe(n);
      }),
    );
  });
  it('refuses what is not a non-negative safe integer, naming the space', () => {
    for (const bad of ['', '-1', '0x', '12abc', '1.5', '0x1g', '2e3', '0x20000000000000'])
      expect(() => parseGpa(bad)).toThrow(/^not a guest-physical address: /);
    for (const bad of [-1, 1.5, NaN, 2 ** 53]) expect(() => parseHfn(bad)).toThrow(RangeError);
  });
});

describe('page pieces', () => {
  it('cover the range exactly, in order, never crossing a page', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 0, max: 20_000 }), (start, len) => {
        let next = start;
        let total = 0;
        forEachPage(start, len, (at, done, n) => {
          expect(at).toBe(next);
          expect(done).toBe(total);
          expect(n).toBeGreaterThan(0);
          expect(Math.floor(at / 4096)).toBe(Math.floor((at + n - 1) / 4096));
          next += n;
          total += n;
          return undefined;
        });
        expect(total).toBe(len);
      }),
    );
  });
  it('stop at the first answer and return it', () => {
    const seen: number[] = [];
    const r = forEachPage(0xff0, 0x3000, (at) => (seen.push(at), at >= 0x2000 ? `stop ${at}` : undefined));
    expect(r).toBe('stop 8192');
    expect(seen).toEqual([0xff0, 0x1000, 0x2000]);
  });
  it('read little-endian words', () => {
    expect(word32le(new Uint8Array([0x1f, 0x20, 0x03, 0xd5]))).toBe(0xd503201f);
  });
});
