// Seeds: the same seed and label give the same numbers, labels and seeds separate the streams,
// and a student id is hashed as documented (trimmed, lower-cased FNV-1a).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fnv1a, rngFor, studentSeed } from '../../../labs/framework/seeded-rng.js';

const draw = (seed: number, label: string, n = 16) => {
  const r = rngFor(seed, label);
  return Array.from({ length: n }, () => r.int(1000));
};

describe('seeded random source', () => {
  it('is a function of seed and label, and keeps within its bounds', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.string(),
        fc.integer({ min: 1, max: 1e6 }),
        (seed, label, n) => {
          expect(draw(seed, label)).toEqual(draw(seed, label));
          const r = rngFor(seed, label);
          for (let i = 0; i < 50; i++) {
            const v = r.int(n);
            expect(Number.isInteger(v) && v >= 0 && v < n).toBe(true);
            const f = r.next();
            expect(f >= 0 && f < 1).toBe(true);
          }
        },
      ),
    );
  });

  it('different labels and different seeds give different sequences', () => {
    expect(draw(1, 'a')).not.toEqual(draw(1, 'b'));
    expect(draw(1, 'a')).not.toEqual(draw(2, 'a'));
  });

  it('a student id is trimmed and lower-cased, then hashed with 32-bit FNV-1a', () => {
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c); // the published FNV-1a test value
    expect(studentSeed(' Ada@Example.EDU ')).toBe(studentSeed('ada@example.edu'));
    expect(studentSeed('ada@example.edu')).not.toBe(studentSeed('bob@example.edu'));
  });
});
