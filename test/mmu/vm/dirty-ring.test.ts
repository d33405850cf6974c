// The dirty ring (mmu/vm/dirty-ring.ts) against a model: a list of pages, taken by range.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gpa } from '../../../mmu/addr.js';
import { DirtyRing } from '../../../mmu/vm/dirty-ring.js';

const P = 4096;
type Op =
  | { op: 'push'; page: number }
  | { op: 'pushAll'; pages: number[] }
  | { op: 'take'; from: number; len: number };
const page = fc.integer({ min: 0, max: 3000 });
const ops: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('push' as const), page }) },
  fc.record({ op: fc.constant('pushAll' as const), pages: fc.array(page, { maxLength: 600 }) }),
  fc.record({
    op: fc.constant('take' as const),
    from: fc.integer({ min: 0, max: 3000 }),
    len: fc.integer({ min: 1, max: 3001 }),
  }),
);

describe('DirtyRing', () => {
  it('takes exactly the pages of a range that arrived since they were last taken, sorted and once each, and keeps the rest', () => {
    fc.assert(
      fc.property(fc.array(ops, { maxLength: 200 }), (seq) => {
        const ring = new DirtyRing();
        let model: number[] = [];
        let pushed = 0;
        for (const o of seq) {
          if (o.op === 'push') {
            ring.push(gpa(o.page * P));
            model.push(o.page);
            pushed++;
          } else if (o.op === 'pushAll') {
            ring.pushAll(Float64Array.from(o.pages, (p) => p * P));
            model.push(...o.pages);
            pushed += o.pages.length;
          } else {
            const got = [...ring.take(gpa(o.from * P), o.len * P)].map((a) => a / P);
            const inRange = (p: number) => p >= o.from && p < o.from + o.len;
            // ascending, each page once (the harvest relies on the order to share leaf lookups)
            expect(got).toEqual([...new Set(model.filter(inRange))].sort((a, b) => a - b));
            model = model.filter((p) => !inRange(p));
          }
          expect(ring.pushed).toBe(pushed);
          // repeats may be merged, never more entries than arrived, never fewer than distinct pages
          expect(ring.length).toBeLessThanOrEqual(model.length);
          expect(ring.length).toBeGreaterThanOrEqual(new Set(model).size);
        }
        const rest = [...ring.take(gpa(0), 3001 * P)].map((a) => a / P);
        expect(rest).toEqual([...new Set(model)].sort((a, b) => a - b));
      }),
      { numRuns: 200, seed: 3 },
    );
  });

  it('grows no further than twice the distinct pages, however long nobody takes', () => {
    const ring = new DirtyRing();
    for (let i = 0; i < 100_000; i++) ring.push(gpa((i % 700) * P));
    expect(ring.pushed).toBe(100_000);
    expect(ring.length).toBeLessThanOrEqual(1400);
    expect(ring.take(gpa(0), 700 * P).length).toBeGreaterThanOrEqual(700);
  });
});
