// The dirty ring (mmu/vm/dirty-ring.ts) against a model: a list of (page, leaf hint, epoch)
// entries in arrival order, taken by range.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gpa } from '../../../mmu/addr.js';
import { DirtyRing, SORT_SPAN_PAGES } from '../../../mmu/vm/dirty-ring.js';
import { NO_HINT } from '../../../mmu/vm/pml-log.js';

const P = 4096;
type Op =
  | { op: 'push'; page: number }
  | { op: 'pushAll'; pages: number[]; lagging: boolean; hinted: boolean }
  | { op: 'bump' }
  | { op: 'take'; from: number; len: number };
const page = fc.integer({ min: 0, max: 3000 });
const ops: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('push' as const), page }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('pushAll' as const),
      pages: fc.array(page, { maxLength: 600 }),
      lagging: fc.boolean(), // a log whose hints are of the epoch before the current one
      hinted: fc.boolean(),
    }),
  },
  fc.record({ op: fc.constant('bump' as const) }),
  fc.record({
    op: fc.constant('take' as const),
    from: fc.integer({ min: 0, max: 3000 }),
    len: fc.integer({ min: 1, max: 3001 }),
  }),
);
/* A hint the ring carries without reading it: any non-negative number tied to the page. */
const hintOf = (p: number): number => p * 8 + 0x10_0000;

interface Entry {
  page: number;
  hint: number;
  epoch: number;
}

describe('DirtyRing', () => {
  it('takes the pages of a range that arrived since they were last taken, and keeps the rest; hints survive only under their epoch', () => {
    fc.assert(
      fc.property(fc.array(ops, { maxLength: 200 }), (seq) => {
        const ring = new DirtyRing();
        let model: Entry[] = [];
        let pushed = 0;
        let epoch = 1;
        let compacted = false; // once more than the first array's 1,024 entries were held
        for (const o of seq) {
          if (o.op === 'push') {
            ring.push(gpa(o.page * P));
            model.push({ page: o.page, hint: NO_HINT, epoch });
            pushed++;
          } else if (o.op === 'pushAll') {
            const e = o.lagging ? epoch - 1 : epoch;
            const hints = o.hinted ? Float64Array.from(o.pages, hintOf) : null;
            ring.pushAll(
              Float64Array.from(o.pages, (p) => p * P),
              hints,
              e,
            );
            for (const p of o.pages) model.push({ page: p, hint: o.hinted ? hintOf(p) : NO_HINT, epoch: e });
            pushed += o.pages.length;
          } else if (o.op === 'bump') {
            epoch++;
          } else {
            const got = [...ring.take(gpa(o.from * P), o.len * P, epoch)].map((a) => a / P);
            const hints = [...ring.takenHints()];
            const inRange = (x: Entry): boolean => x.page >= o.from && x.page < o.from + o.len;
            const want = model.filter(inRange);
            expect(hints.length).toBe(got.length);
            if (!compacted) {
              // nothing merged yet: exactly the arrivals, in order, each hint kept iff of this epoch
              expect(got).toEqual(want.map((x) => x.page));
              expect(hints).toEqual(want.map((x) => (x.epoch === epoch ? x.hint : NO_HINT)));
            } else {
              // repeats may be merged and hints dropped, never a page added or a stale hint kept
              expect(new Set(got)).toEqual(new Set(want.map((x) => x.page)));
              expect(got.length).toBeLessThanOrEqual(want.length);
              got.forEach((p, k) => {
                if (hints[k] !== NO_HINT)
                  expect(want.some((x) => x.page === p && x.epoch === epoch)).toBe(true);
                if (hints[k] !== NO_HINT) expect(hints[k]).toBe(hintOf(p));
              });
            }
            model = model.filter((x) => !inRange(x));
          }
          if (model.length > 1024) compacted = true;
          expect(ring.pushed).toBe(pushed);
          // repeats may be merged, never more entries than arrived, never fewer than distinct pages
          expect(ring.length).toBeLessThanOrEqual(model.length);
          expect(ring.length).toBeGreaterThanOrEqual(new Set(model.map((x) => x.page)).size);
        }
        const rest = [...ring.take(gpa(0), 3001 * P, epoch)].map((a) => a / P);
        expect(new Set(rest)).toEqual(new Set(model.map((x) => x.page)));
      }),
      { numRuns: 200, seed: 3 },
    );
  });

  it('grows no further than twice the distinct pages, however long nobody takes', () => {
    const ring = new DirtyRing();
    for (let i = 0; i < 100_000; i++) ring.push(gpa((i % 700) * P));
    expect(ring.pushed).toBe(100_000);
    expect(ring.length).toBeLessThanOrEqual(1400);
    expect(new Set(ring.take(gpa(0), 700 * P, 0)).size).toBe(700);
  });

  it('hands entries spread over more than SORT_SPAN_PAGES over sorted, each hint still with its page', () => {
    const ring = new DirtyRing();
    const pages = [5, 40_000, 3, 40_000, 17_000, 9];
    ring.pushAll(
      Float64Array.from(pages, (p) => p * P),
      Float64Array.from(pages, hintOf),
      0,
    );
    const got = [...ring.take(gpa(0), 50_000 * P, 0)].map((a) => a / P);
    expect(got).toEqual([3, 5, 9, 17_000, 40_000, 40_000]);
    expect([...ring.takenHints()]).toEqual(got.map(hintOf));
    ring.pushAll(Float64Array.of(SORT_SPAN_PAGES * P, 0), Float64Array.of(1, 2), 0); // within the span
    expect([...ring.take(gpa(0), 50_000 * P, 0)]).toEqual([SORT_SPAN_PAGES * P, 0]);
  });

  it('drops the hints it holds when a newer epoch arrives, and those of a log older than its own', () => {
    const ring = new DirtyRing();
    ring.pushAll(Float64Array.of(P, 2 * P), Float64Array.of(8, 16), 4);
    ring.pushAll(Float64Array.of(3 * P), Float64Array.of(24), 5); // epoch 5: the first two lose theirs
    ring.pushAll(Float64Array.of(4 * P), Float64Array.of(32), 4); // a log of epoch 4, behind the ring
    expect([...ring.take(gpa(0), 5 * P, 5)]).toEqual([P, 2 * P, 3 * P, 4 * P]);
    expect([...ring.takenHints()]).toEqual([NO_HINT, NO_HINT, 24, NO_HINT]);
    ring.pushAll(Float64Array.of(P), Float64Array.of(8), 5);
    ring.take(gpa(0), 2 * P, 6); // the tables moved since the log was drained
    expect([...ring.takenHints()]).toEqual([NO_HINT]);
  });
});
