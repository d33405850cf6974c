/*
 * The range iterator (walk + walk-advance) against a naive model: for random sets of leaf tables
 * placed at the edges of every level of the tree, and random ranges, it visits exactly the pages of
 * the range whose leaf table is in host RAM, in increasing order, each with its own slot.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gpa } from '../../../mmu/addr.js';
import { FORMATS } from '../../../mmu/gpt/formats.js';
import { GPA_LIMIT } from '../../../mmu/gpt/gpt-geometry.js';
import { makeRig } from './harness.js';

const MB2 = 0x20_0000;
const GB = 0x4000_0000;
const GB512 = 512 * GB;

/* Candidate leaf tables (2 MiB chunks) at the edges of level-2, level-3 and root entries. */
const CHUNKS = [0, MB2, GB - MB2, GB, 511 * GB, GB512 - MB2, GB512, 3 * GB512 + 7 * GB, GPA_LIMIT - MB2];

describe('GptIter', () => {
  it('visits exactly the slots of present leaf tables in the range, in order', () => {
    fc.assert(
      fc.property(
        fc.subarray(CHUNKS),
        fc.constantFrom(...CHUNKS),
        fc.integer({ min: -700, max: 700 }),
        fc.oneof(fc.integer({ min: 1, max: 1200 }), fc.constant(2 ** 36)),
        fc.constantFrom(FORMATS.ept, FORMATS.npt, FORMATS.s2),
        (present, anchor, startPages, pages, fmt) => {
          const { gpt } = makeRig(fmt, { frames: 64 });
          for (const c of present) gpt.populate(gpa(c + 0x5000), 0x1000);
          const start = Math.min(Math.max(anchor + startPages * 4096, 0), GPA_LIMIT - 4096);
          const len = Math.min(pages * 4096, GPA_LIMIT - start);
          const want: number[] = [];
          for (const c of [...present].sort((a, b) => a - b))
            for (let i = 0; i < 512; i++) {
              const g = c + i * 4096;
              if (g >= start && g < start + len) want.push(g);
            }
          const got: number[] = [];
          const badSlot: number[] = [];
          const it = gpt.iterate(gpa(start), len);
          while (it.next()) {
            got.push(it.gpa);
            if (it.pte !== gpt.leafPte(gpa(it.gpa))) badSlot.push(it.gpa);
          }
          expect(got).toEqual(want);
          expect(badSlot).toEqual([]);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('an empty tree has nothing to visit', () => {
    const { gpt } = makeRig(FORMATS.s2);
    expect(gpt.iterate(gpa(0), GPA_LIMIT).next()).toBe(false);
  });
});
