/*
 * Shared frames: the book of host frames that several guest pages use at once after same-page
 * merging (merge-scan.ts), like the stable pages of Linux KSM.
 *
 * A memory object's page normally owns its frame (vm-object.ts). A merged page does not: its frame
 * belongs to this book, which counts the pages that use it. Every nested leaf that maps a shared
 * frame withholds write, in every vmspace, so a guest write to it is a nested write fault and the
 * vmspace breaks the share (vmspace-merge.ts, sharedAccess): a fresh frame, a copy, a remap with full
 * rights, and the page leaves the book. The last page to leave gives the frame back to the
 * reservoir.
 *
 *   sharers[f]   0        f is not shared (an ordinary frame, or free)
 *                n >= 1   n object pages use f; every leaf mapping f is read-only
 *
 *   join(f)    a page starts using f           (merge: the keeper's own frame, or a duplicate's target)
 *   leave(f)   a page stops using f            (a write broke the share, or the object was freed);
 *              at 0 the frame goes back to the reservoir
 *
 * A shared frame is nobody's reclaim candidate: the pages that join forget it from their pager, so
 * an eviction never has to find every object page that uses it (mmu/vm/reclaim.ts). A disconnect of
 * a shared frame (pmap.disconnect) still reaches every PTE in every VM through its PV list; the
 * pages keep their frame and fault it back in read-only.
 *
 * Counters (the `merge` key of `run --json`): shared = frames in the book now; sharing = pages
 * using them; saved = sharing - shared (frames the merges give back, net); merges and cowBreaks
 * count since the start. Invariants (checkInvariants): shared and sharing agree with sharers[].
 */
import type { Hfn } from '../addr.js';
import { assert } from '../checks.js';
import type { Reservoir } from '../host/reservoir.js';

export interface MergeCounters {
  /** Frames shared now. */
  shared: number;
  /** Guest pages that use a shared frame now. */
  sharing: number;
  /** Pages that joined a shared frame, since the start (a keeper counts too). */
  merges: number;
  /** Guest writes that broke a share (a nested write fault on a merged page), since the start. */
  cowBreaks: number;
}

export class FrameShares {
  readonly sharers: Uint32Array;
  readonly counters: MergeCounters = { shared: 0, sharing: 0, merges: 0, cowBreaks: 0 };

  constructor(
    frameCount: number,
    private readonly reservoir: Reservoir,
  ) {
    this.sharers = new Uint32Array(frameCount);
  }

  isShared(f: Hfn | -1): boolean {
    return f >= 0 && this.sharers[f] > 0;
  }

  /** Frames given back by the merges, net: pages sharing minus frames shared. */
  get framesSaved(): number {
    return this.counters.sharing - this.counters.shared;
  }

  /** One more page uses f. */
  join(f: Hfn): void {
    if (this.sharers[f]++ === 0) this.counters.shared++;
    this.counters.sharing++;
    this.counters.merges++;
  }

  /** One page fewer uses f; the last one gives f back to the reservoir (true then). */
  leave(f: Hfn): boolean {
    assert(this.sharers[f] > 0, 'frame shares: leaving a frame that is not shared');
    this.counters.sharing--;
    if (--this.sharers[f] > 0) return false;
    this.counters.shared--;
    this.reservoir.give(f);
    return true;
  }

  /** Full sweep: the counters agree with the per-frame counts. */
  checkInvariants(): void {
    let shared = 0;
    let sharing = 0;
    for (let f = 0; f < this.sharers.length; f++) {
      if (this.sharers[f] === 0) continue;
      shared++;
      sharing += this.sharers[f];
      assert(this.reservoir.isInUse(f as Hfn), `frame shares: shared frame ${f} is not in use`);
    }
    assert(shared === this.counters.shared, 'frame shares: shared count is off');
    assert(sharing === this.counters.sharing, 'frame shares: sharing count is off');
  }
}
