/*
 * The VMM's dirty ring: the guest-physical pages reported dirty since their last harvest, as the
 * vCPUs' PML logs (pml-log.ts) and the VMM's own writes for devices (a write hold's release) hand
 * them over. A ring-mode harvest (ring-harvest.ts) takes the entries of its range from here and
 * looks at those pages only, so its cost follows the number of dirty pages, not guest RAM.
 *
 *   pages  Float64Array(capacity)   one page address per entry (a 48-bit gpa fits a double)
 *   used   entries in use           in arrival order, possibly with repeats
 *
 * A page can arrive more than once between two harvests (its Dirty bit was cleared by an unmap, a
 * steal or an Accessed reset and set again; a device wrote it twice). When the array fills, it is
 * compacted first: sorted and each page kept once (page-sort.ts, no objects). Only when
 * it is still more than half full does it grow, to twice the size. So it never holds more entries
 * than twice the number of distinct pages reported, however long nobody harvests; KVM's fixed-size
 * ring makes the vCPU exit to user space instead when it fills, which a ring that grows never needs.
 *
 * take(gpa, len) moves the range's entries out into a scratch array it returns sorted by address,
 * each page once; the entries outside the range stay, in order, for a later harvest of theirs. One
 * pass over the entries picks the range's out, then a radix sort of those alone (page-sort.ts: a few
 * linear passes, no objects) and one pass that drops repeats: a harvest's cost is linear in what the ring holds plus
 * n log n in what it takes. The order is what makes the harvest cheap: consecutive pages share
 * their leaf table (ring-harvest.ts looks it up once), and the entries and frame records they touch
 * are read in ascending address order instead of scattered over all of host memory.
 *
 * Invariants: every entry is a page-aligned address; `pushed` counts every entry that ever arrived
 * (the `ringEntries` figure of a run); nothing is allocated except when the array grows.
 */

import type { Gpa } from '../addr.js';
import { PAGE_SIZE } from '../addr.js';
import { assert } from '../checks.js';
import { sortPages } from './page-sort.js';

const INITIAL_CAPACITY = 1024;

export class DirtyRing {
  private pages = new Float64Array(INITIAL_CAPACITY);
  private used = 0;
  private taken = new Float64Array(INITIAL_CAPACITY);
  /* The sort's scratch, as long as the longest array sorted so far. */
  private spare = new Float64Array(INITIAL_CAPACITY);
  /** Entries that reached the ring over its life (PML drains and device writes). */
  pushed = 0;

  /** Entries held now (repeats included until the next compaction). */
  get length(): number {
    return this.used;
  }

  push(page: Gpa): void {
    assert(page % PAGE_SIZE === 0, 'dirty ring: a page address must be page-aligned');
    if (this.used === this.pages.length) this.makeRoom();
    this.pages[this.used++] = page;
    this.pushed++;
  }

  /** Every page of `pages` (a drained PML log, page-aligned by construction), in order. */
  pushAll(pages: Float64Array): void {
    while (this.used + pages.length > this.pages.length) this.makeRoom(pages.length);
    this.pages.set(pages, this.used);
    this.used += pages.length;
    this.pushed += pages.length;
  }

  /**
   * Take the pages of [gpa, gpa + len) out of the ring, ascending and each once: a view on a
   * scratch array, valid until the next take.
   */
  take(gpa: Gpa, len: number): Float64Array {
    if (this.taken.length < this.used)
      this.taken = new Float64Array(Math.max(this.used, this.taken.length * 2));
    const end = gpa + len;
    let n = 0;
    let kept = 0;
    for (let i = 0; i < this.used; i++) {
      const p = this.pages[i];
      if (p >= gpa && p < end) this.taken[n++] = p;
      else this.pages[kept++] = p;
    }
    this.used = kept;
    return this.taken.subarray(0, this.sortUnique(this.taken.subarray(0, n)));
  }

  /* Sort and drop repeats in place. */
  private compact(): void {
    this.used = this.sortUnique(this.pages.subarray(0, this.used));
  }

  /* Sort `live` in place and move each page's first copy to the front; returns how many there are. */
  private sortUnique(live: Float64Array): number {
    if (this.spare.length < live.length) this.spare = new Float64Array(this.pages.length);
    sortPages(live, this.spare);
    let out = 0;
    for (let i = 0; i < live.length; i++) if (out === 0 || live[i] !== live[out - 1]) live[out++] = live[i];
    return out;
  }

  private makeRoom(more = 1): void {
    this.compact();
    if ((this.used + more) * 2 <= this.pages.length) return;
    const bigger = new Float64Array(Math.max(this.pages.length * 2, (this.used + more) * 2));
    bigger.set(this.pages.subarray(0, this.used));
    this.pages = bigger;
  }
}
