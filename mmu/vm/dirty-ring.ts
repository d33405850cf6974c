/*
 * The VMM's dirty ring: the guest-physical pages reported dirty since their last harvest, as the
 * vCPUs' PML logs (pml-log.ts) and the VMM's own writes for devices (a write hold's release) hand
 * them over. A ring-mode harvest (ring-harvest.ts) takes the entries of its range from here and
 * looks at those pages only, so its cost follows the number of dirty pages, not guest RAM.
 *
 *   pages  Float64Array(capacity)   one page address per entry (a 48-bit gpa fits a double)
 *   hints  Float64Array(capacity)   per entry, the host address of the page's leaf entry as the
 *                                   fill hook found it, or NO_HINT (a device write, a compaction)
 *   epoch                           the table epoch (gpt-tables.ts frameEpoch) every hint is of
 *   used                            entries in use, in arrival order, possibly with repeats
 *
 * The hints are what makes the harvest cheap: with one, the harvest reads and clears the leaf
 * entry at once, with no walk from the root and no lookup of its table, so the pages need no
 * particular order (take() sorts them only where that pays, below). A hint is only as good as its
 * epoch: when a table frame leaves its node the epoch moves on, and the ring turns every hint of an
 * older epoch into NO_HINT as soon as it meets the newer one (a drained log, a take), so the
 * harvest looks those pages up instead. Epochs only grow.
 *
 * A page can arrive more than once between two harvests (its Dirty bit was cleared by an unmap, a
 * steal or an Accessed reset and set again; a device wrote it twice). take() hands repeats over
 * as they are: the harvest takes each page's dirty state when it meets the page first, and finds
 * nothing the second time, so a repeat costs one look and is never counted twice. When the array
 * fills, it is compacted: sorted and each page kept once (page-sort.ts, no objects), hints dropped.
 * Only when it is still more than half full does it grow, to twice the size. So it never holds more
 * entries than twice the number of distinct pages reported, however long nobody harvests; KVM's
 * fixed-size ring makes the vCPU exit to user space instead when it fills, which a ring that grows
 * never needs.
 *
 * take(gpa, len, epoch) moves the range's entries out into scratch arrays; the entries outside the
 * range stay, in order, for a later harvest of theirs. One pass, linear in what the ring holds. The
 * entries taken stay in arrival order when they lie within SORT_SPAN_PAGES of each other: their
 * leaf entries then fit in 128 KiB, which the cache holds whatever the order. Spread wider, they
 * are sorted by page, hints alongside (page-sort.ts, a few linear passes), so the harvest reads
 * the leaf entries and frame records in ascending order instead of all over host memory: at 256
 * MiB to 1 GiB of spread, that is cheaper than the misses of arrival order.
 *
 * Invariants: every entry is a page-aligned address; a hint other than NO_HINT is the address of
 * the page's leaf entry under `epoch`; `pushed` counts every entry that ever arrived (the
 * `ringEntries` figure of a run); nothing is allocated except when the arrays grow.
 */

import type { Gpa } from '../addr.js';
import { PAGE_SIZE } from '../addr.js';
import { assert } from '../checks.js';
import { sortPages } from './page-sort.js';
import { NO_HINT } from './pml-log.js';

const INITIAL_CAPACITY = 1024;
/** Entries spread over more pages than this are sorted when taken (see the essay): 64 MiB. */
export const SORT_SPAN_PAGES = 16384;

export class DirtyRing {
  private pages = new Float64Array(INITIAL_CAPACITY);
  private hints = new Float64Array(INITIAL_CAPACITY);
  private used = 0;
  private epoch = 0;
  private taken = new Float64Array(INITIAL_CAPACITY);
  private takenHintsOf = new Float64Array(INITIAL_CAPACITY);
  private takenCount = 0;
  /* The compaction sort's scratch, as long as the longest array sorted so far. */
  private spare = new Float64Array(INITIAL_CAPACITY);
  private spareHints = new Float64Array(INITIAL_CAPACITY);
  /** Entries that reached the ring over its life (PML drains and device writes). */
  pushed = 0;

  /** Entries held now (repeats included until the next compaction). */
  get length(): number {
    return this.used;
  }

  /** One page, with no hint (the VMM's own write, a page a new mapping brings in modified). */
  push(page: Gpa): void {
    assert(page % PAGE_SIZE === 0, 'dirty ring: a page address must be page-aligned');
    if (this.used === this.pages.length) this.makeRoom();
    this.hints[this.used] = NO_HINT;
    this.pages[this.used++] = page;
    this.pushed++;
  }

  /**
   * Every page of `pages` (a drained PML log, page-aligned by construction), in order, with the
   * log's leaf hints of table epoch `epoch` (none: every entry without a hint).
   */
  pushAll(pages: Float64Array, hints: Float64Array | null = null, epoch = this.epoch): void {
    assert(hints === null || hints.length === pages.length, 'dirty ring: one hint per page');
    while (this.used + pages.length > this.pages.length) this.makeRoom(pages.length);
    this.meetEpoch(epoch);
    this.pages.set(pages, this.used);
    if (hints !== null && epoch === this.epoch) this.hints.set(hints, this.used);
    else this.hints.fill(NO_HINT, this.used, this.used + pages.length);
    this.used += pages.length;
    this.pushed += pages.length;
  }

  /**
   * Take the entries of [gpa, gpa + len) out of the ring, in arrival order, with their hints made
   * good for table epoch `epoch` (the current one): a view on a scratch array, valid until the
   * next take; takenHints() has the hints, entry for entry.
   */
  take(gpa: Gpa, len: number, epoch: number): Float64Array {
    if (this.taken.length < this.used) {
      this.taken = new Float64Array(Math.max(this.used, this.taken.length * 2));
      this.takenHintsOf = new Float64Array(this.taken.length);
    }
    this.meetEpoch(epoch);
    const end = gpa + len;
    let n = 0;
    let kept = 0;
    let lo = end;
    let hi = gpa as number;
    for (let i = 0; i < this.used; i++) {
      const p = this.pages[i];
      if (p >= gpa && p < end) {
        this.takenHintsOf[n] = this.hints[i];
        this.taken[n++] = p;
        if (p < lo) lo = p;
        if (p > hi) hi = p;
      } else {
        this.hints[kept] = this.hints[i];
        this.pages[kept++] = p;
      }
    }
    this.used = kept;
    this.takenCount = n;
    const pages = this.taken.subarray(0, n);
    if (n > 1 && hi - lo > SORT_SPAN_PAGES * PAGE_SIZE) this.sortTaken(pages);
    return pages;
  }

  /* Sort the taken entries by page, their hints alongside. */
  private sortTaken(pages: Float64Array): void {
    const n = pages.length;
    if (this.spare.length < n) this.spare = new Float64Array(this.taken.length);
    if (this.spareHints.length < n) this.spareHints = new Float64Array(this.taken.length);
    sortPages(pages, this.spare, { values: this.takenHintsOf.subarray(0, n), spare: this.spareHints });
  }

  /** The hints of the entries the last take() returned (a view, valid until the next take). */
  takenHints(): Float64Array {
    return this.takenHintsOf.subarray(0, this.takenCount);
  }

  /* Hints of an epoch older than `epoch` no longer hold: drop them (an older incoming epoch: the caller's). */
  private meetEpoch(epoch: number): void {
    if (epoch <= this.epoch) return;
    this.hints.fill(NO_HINT, 0, this.used);
    this.epoch = epoch;
  }

  /* Sort, drop repeats and hints (the order changed). */
  private compact(): void {
    const live = this.pages.subarray(0, this.used);
    if (this.spare.length < live.length) this.spare = new Float64Array(this.pages.length);
    sortPages(live, this.spare);
    let out = 0;
    for (let i = 0; i < live.length; i++) if (out === 0 || live[i] !== live[out - 1]) live[out++] = live[i];
    this.used = out;
    this.hints.fill(NO_HINT, 0, out);
  }

  private makeRoom(more = 1): void {
    this.compact();
    if ((this.used + more) * 2 <= this.pages.length) return;
    const size = Math.max(this.pages.length * 2, (this.used + more) * 2);
    const bigger = new Float64Array(size);
    bigger.set(this.pages.subarray(0, this.used));
    this.pages = bigger;
    const hints = new Float64Array(size);
    hints.set(this.hints.subarray(0, this.used));
    this.hints = hints;
  }
}
