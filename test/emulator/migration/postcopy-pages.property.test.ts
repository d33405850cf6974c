/*
 * The post-copy pager and its push queue against a model, with random interleavings of guest
 * touches (a read or a write of a page, which requests it when absent), background loads of the
 * wire and landings. The model is a plain map of what each destination page must hold: the
 * source's content until the guest writes it, the guest's last write after.
 *
 * Checked after every run (drained to the end): no page lost (every page holds the model's
 * content), none overwritten stale (a guest write is never undone by a late push), every pending
 * page placed exactly once (requested + pushed = pending, and a per-page count of 1), and the
 * discarded pushes are exactly the pushes whose page was requested while on the wire.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PostcopyPages } from '../../../emulator/migration/postcopy-pages.js';
import { PAGE_SIZE, type Hfn } from '../../../mmu/addr.js';

const PAGES = 24;

type Op =
  { kind: 'touch'; page: number; write: number | null } | { kind: 'load'; n: number } | { kind: 'land' };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('touch' as const),
    page: fc.integer({ min: 0, max: PAGES - 1 }),
    write: fc.option(fc.integer({ min: 1, max: 255 }), { nil: null }),
  }),
  fc.record({ kind: fc.constant('load' as const), n: fc.integer({ min: 1, max: 6 }) }),
  fc.record({ kind: fc.constant('land' as const) }),
);

/* A destination of PAGES frames (frame i is page i), a source whose page i starts with byte 100 + i. */
function rig(pending: readonly number[]) {
  const dst = Array.from({ length: PAGES }, () => new Uint8Array(PAGE_SIZE).fill(7)); // stale copy
  const placed = new Array<number>(PAGES).fill(0);
  const requested: number[] = [];
  const pager = new PostcopyPages(PAGES, pending, {
    read: (page, buf) => {
      buf.fill(0);
      buf[0] = 100 + page;
      buf[PAGE_SIZE - 1] = page;
    },
    place: (page, bytes) => {
      placed[page]++;
      dst[page].set(bytes);
    },
    frame: (f) => {
      placed[f]++;
      return dst[f];
    },
    requested: (page) => requested.push(page),
  });
  return { dst, placed, requested, pager };
}

describe('PostcopyPages', () => {
  it('random touches, loads and landings: no page lost, none stale, each placed once', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: PAGES - 1 }), { maxLength: PAGES }),
        fc.array(op, { maxLength: 80 }),
        (pending, ops) => {
          const { dst, placed, requested, pager } = rig(pending);
          const isPending = new Set(pending);
          // the model: what each page must hold (first byte), and which pages are on the wire
          const want = Array.from({ length: PAGES }, (_, i) => (isPending.has(i) ? 100 + i : 7));
          const have = new Set<number>(
            Array.from({ length: PAGES }, (_, i) => i).filter((i) => !isPending.has(i)),
          );
          let wire: number[] = [];
          const order = [...pending].sort((a, b) => a - b);
          let cursor = 0;
          let discarded = 0;
          const touch = (page: number, write: number | null) => {
            if (pager.absent(page)) pager.supply(page, page as Hfn); // the nested fault's frameAt
            have.add(page);
            expect(dst[page][0]).toBe(want[page]);
            if (write !== null) dst[page][0] = want[page] = write;
          };
          const load = (n: number) => {
            while (wire.length < n && cursor < order.length) {
              const p = order[cursor++];
              if (!have.has(p)) wire.push(p);
            }
            pager.load(n);
            expect(pager.inFlight).toBe(wire.length);
          };
          const land = () => {
            for (const p of wire) {
              if (have.has(p)) discarded++;
              have.add(p);
            }
            wire = [];
            pager.land();
          };
          for (const o of ops) {
            if (o.kind === 'touch') touch(o.page, o.write);
            else if (o.kind === 'load') load(o.n);
            else land();
            expect(pager.totals.missing).toBe(PAGES - have.size);
          }
          for (let guard = 0; !pager.done; guard++) {
            expect(guard).toBeLessThan(PAGES + 2);
            load(3);
            land();
          }
          for (let i = 0; i < PAGES; i++) {
            expect(dst[i][0]).toBe(want[i]);
            expect(pager.absent(i)).toBe(false);
            expect(placed[i]).toBe(isPending.has(i) ? 1 : 0);
          }
          const t = pager.totals;
          expect(t.requested + t.pushed).toBe(pending.length);
          expect(t.requested).toBe(requested.length);
          expect(new Set(requested).size).toBe(requested.length);
          expect(t.discarded).toBe(discarded);
          expect(t.missing).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('the stale-push hazard: a page requested and written while its push is on the wire keeps the write', () => {
    const { dst, pager } = rig([3, 5]);
    expect(pager.load(2)).toBe(2); // both leave the source with its content
    pager.supply(5, 5 as Hfn); // the guest needs page 5 before the push lands
    dst[5][0] = 42; // and writes it
    pager.land();
    expect(dst[5][0]).toBe(42);
    expect(dst[3][0]).toBe(103);
    expect(pager.totals).toEqual({ pending: 2, requested: 1, pushed: 1, discarded: 1, missing: 0 });
  });

  it('a page the source sent on request is not pushed again', () => {
    const { pager } = rig([1, 2, 4]);
    pager.supply(1, 1 as Hfn);
    expect(pager.load(8)).toBe(2);
    pager.land();
    expect(pager.totals).toMatchObject({ requested: 1, pushed: 2, discarded: 0 });
  });

  it('refuses a repeated or out-of-range pending page, and a request for a present page', () => {
    expect(() => rig([2, 2])).toThrow(/repeated/);
    expect(() => rig([PAGES])).toThrow(/out of range/);
    const { pager } = rig([0]);
    expect(() => pager.supply(1, 1 as Hfn)).toThrow(/present/);
  });
});
