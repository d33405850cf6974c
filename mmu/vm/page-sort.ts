/*
 * Sorting page addresses for the dirty ring (dirty-ring.ts): an LSD radix sort over page numbers,
 * in place, with a caller's spare array of the same length and no allocation.
 *
 *   page number  p = address / 4096        (an integer below 2^41 for any 53-bit address)
 *   key          k = p - min               (only the bits that differ between the pages take passes)
 *   pass j       digit (k / 512^j) & 511   (9 bits: a 512-slot count table, small next to the pages)
 *
 * Why not TypedArray.prototype.sort: V8 sorts typed arrays without a comparator through a generic
 * path that costs 0.1-0.2 us per element on Node 20 (0.4-0.8 ms for the 4,000 pages a harvest takes,
 * more than the harvest itself), while this costs two to four short passes for any realistic
 * guest: 1 GiB of RAM is 2^18 pages, two passes.
 *
 * Each pass is a stable counting sort from one array into the other, so the passes compose into a
 * sort by the whole key. The digit of a key comes from a division and `& 511`, which is exact for
 * any integer below 2^53 (ToInt32 keeps the low bits), so no BigInt and no 32-bit limit.
 *
 * Invariants: the values are page-aligned addresses, non-negative and below 2^53; afterwards
 * `pages` holds the same values in ascending order; `spare` is scratch (its content is lost).
 */

import { PAGE_SIZE } from '../addr.js';
import { assert } from '../checks.js';

const DIGIT_BITS = 9;
const RADIX = 1 << DIGIT_BITS;
const MASK = RADIX - 1;
const counts = new Int32Array(RADIX);

/** Sort the page addresses of `pages` ascending, in place; `spare` is scratch of at least its length. */
export function sortPages(pages: Float64Array, spare: Float64Array): void {
  const n = pages.length;
  assert(spare.length >= n, 'page sort: spare array too small');
  if (n < 2) return;
  let min = pages[0];
  let max = pages[0];
  for (let i = 1; i < n; i++) {
    const p = pages[i];
    if (p < min) min = p;
    else if (p > max) max = p;
  }
  const base = min / PAGE_SIZE;
  let from = pages;
  let to = spare;
  for (let scale = 1; scale <= (max - min) / PAGE_SIZE; scale *= RADIX) {
    countingPass(from, to, n, base, scale);
    const t = from;
    from = to;
    to = t;
  }
  if (from !== pages) pages.set(from.subarray(0, n));
}

/* One stable counting-sort pass by the digit (key / scale) & MASK, from `src` into `dst`. */
function countingPass(src: Float64Array, dst: Float64Array, n: number, base: number, scale: number): void {
  counts.fill(0);
  for (let i = 0; i < n; i++) counts[((src[i] / PAGE_SIZE - base) / scale) & MASK]++;
  let at = 0;
  for (let d = 0; d < RADIX; d++) {
    const c = counts[d];
    counts[d] = at;
    at += c;
  }
  for (let i = 0; i < n; i++) {
    const p = src[i];
    dst[counts[((p / PAGE_SIZE - base) / scale) & MASK]++] = p;
  }
}
