// The radix sort of page addresses (mmu/vm/page-sort.ts) against a model: Array.prototype.sort.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sortPages } from '../../../mmu/vm/page-sort.js';

const P = 4096;

function sorted(pages: number[]): number[] {
  const a = Float64Array.from(pages, (p) => p * P);
  sortPages(a, new Float64Array(a.length + 3));
  return [...a].map((x) => x / P);
}

describe('sortPages', () => {
  it('sorts any page addresses ascending, keeping every copy', () => {
    // page numbers near 0, across a 1 GiB guest, and up to a 52-bit address (several passes)
    const page = fc.oneof(
      fc.integer({ min: 0, max: 600 }),
      fc.integer({ min: 0, max: 1 << 18 }),
      fc.integer({ min: 0, max: 2 ** 40 - 1 }),
    );
    fc.assert(
      fc.property(fc.array(page, { maxLength: 2000 }), (pages) => {
        expect(sorted(pages)).toEqual([...pages].sort((a, b) => a - b));
      }),
      { numRuns: 300, seed: 12 },
    );
  });

  it('carries a payload along: each payload value stays with its page', () => {
    const page = fc.oneof(fc.integer({ min: 0, max: 600 }), fc.integer({ min: 0, max: 2 ** 30 }));
    fc.assert(
      fc.property(fc.array(page, { maxLength: 1500 }), (pages) => {
        const a = Float64Array.from(pages, (p) => p * P);
        const values = Float64Array.from(pages, (_, i) => i); // where each page came from
        sortPages(a, new Float64Array(a.length), { values, spare: new Float64Array(a.length) });
        // a stable sort: equal pages keep their order, so the pairs are exactly the model's
        const want = pages.map((p, i) => [p, i]).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
        expect([...a].map((x, k) => [x / P, values[k]])).toEqual(want);
      }),
      { numRuns: 200, seed: 5 },
    );
  });

  it('leaves all-equal and already-sorted input as it is, and sorts reversed input', () => {
    expect(sorted([7, 7, 7])).toEqual([7, 7, 7]);
    const up = Array.from({ length: 1500 }, (_, i) => i * 37);
    expect(sorted(up)).toEqual(up);
    expect(sorted([...up].reverse())).toEqual(up);
  });
});
