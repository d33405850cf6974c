/*
 * Sorting page addresses for the dirty ring (dirty-ring.ts): an LSD radix sort over page numbers,
 * in place, with a caller's spare array of the same length and no allocation.
 *
 *   page number  p = address / 4096        (an integer below 2^41 for any 53-bit address)
 *   key          k = p - min               (only the bits that differ between the pages take passes)
 *   b            bits of the largest key   (13 for pages spread over 32 MiB, 17 over 512 MiB)
 *   passes       ceil(b / 13)              each sorts by a digit of ceil(b / passes) bits: at most
 *                                          8,192 counters (32 KiB), cleared and summed per pass
 *   pass j       digit (k / 2^(j*d)) mod 2^d
 *
 * Why not TypedArray.prototype.sort: V8 sorts typed arrays without a comparator through a generic
 * path that costs 0.1-0.2 us per element on Node 20 (0.4-0.8 ms for the 4,000 pages a harvest takes,
 * as much as the rest of the harvest), while this costs one or two short passes for any realistic
 * guest: pages within 32 MiB sort in one pass, within 256 GiB in two.
 *
 * Each pass is a stable counting sort from one array into the other, so the passes compose into a
 * sort by the whole key. The digit of a key comes from a division and a mask, which is exact for
 * any integer below 2^53 (ToInt32 keeps the low bits), so no BigInt and no 32-bit limit.
 *
 * A payload array may ride along (the dirty ring's leaf hints): it is permuted as `pages` is, so
 * payload[k] still belongs to pages[k] afterwards; it needs its own spare array.
 *
 * Invariants: the values are page-aligned addresses, non-negative and below 2^53; afterwards
 * `pages` holds the same values in ascending order (and `payload`, if given, the same pairs);
 * the spare arrays are scratch (their content is lost).
 */

import { PAGE_SIZE } from '../addr.js';
import { assert } from '../checks.js';

const MAX_DIGIT_BITS = 13;
const counts = new Int32Array(1 << MAX_DIGIT_BITS);

/** A payload that follows the pages (same length) and its scratch array. */
export interface SortPayload {
  values: Float64Array;
  spare: Float64Array;
}

/**
 * Sort the page addresses of `pages` ascending, in place; `spare` is scratch of at least its
 * length; `payload`, if given, is permuted alongside.
 */
export function sortPages(
  pages: Float64Array,
  spare: Float64Array,
  payload: SortPayload | null = null,
): void {
  const n = pages.length;
  assert(spare.length >= n, 'page sort: spare array too small');
  assert(
    payload === null || (payload.values.length === n && payload.spare.length >= n),
    'page sort: payload',
  );
  if (n < 2) return;
  let min = pages[0];
  let max = pages[0];
  for (let i = 1; i < n; i++) {
    const p = pages[i];
    if (p < min) min = p;
    else if (p > max) max = p;
  }
  let bits = 0; // of the largest key
  for (let r = (max - min) / PAGE_SIZE; r >= 1; r = Math.floor(r / 2)) bits++;
  const passes = Math.ceil(bits / MAX_DIGIT_BITS);
  const digit = Math.ceil(bits / Math.max(passes, 1));
  const base = min / PAGE_SIZE;
  let from = pages;
  let to = spare;
  let pFrom = payload?.values ?? null;
  let pTo = payload?.spare ?? null;
  for (let pass = 0, scale = 1; pass < passes; pass++, scale *= 2 ** digit) {
    countingPass(from, to, pFrom, pTo, n, base, scale, digit);
    [from, to] = [to, from];
    [pFrom, pTo] = [pTo, pFrom];
  }
  if (from !== pages) pages.set(from.subarray(0, n));
  if (payload !== null && pFrom !== payload.values) payload.values.set(pFrom!.subarray(0, n));
}

/* One stable counting-sort pass by the digit (key / scale) mod 2^digit, from `src` into `dst`. */
function countingPass(
  src: Float64Array,
  dst: Float64Array,
  pSrc: Float64Array | null,
  pDst: Float64Array | null,
  n: number,
  base: number,
  scale: number,
  digit: number,
): void {
  const mask = (1 << digit) - 1;
  counts.fill(0, 0, mask + 1);
  for (let i = 0; i < n; i++) counts[((src[i] / PAGE_SIZE - base) / scale) & mask]++;
  let at = 0;
  for (let d = 0; d <= mask; d++) {
    const c = counts[d];
    counts[d] = at;
    at += c;
  }
  for (let i = 0; i < n; i++) {
    const p = src[i];
    const to = counts[((p / PAGE_SIZE - base) / scale) & mask]++;
    dst[to] = p;
    if (pSrc !== null) pDst![to] = pSrc[i];
  }
}
