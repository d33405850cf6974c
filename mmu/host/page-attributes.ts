/*
 * Page attributes: a byte of flags per host frame, kept by the pmap.
 *
 *    7   6   5   4   3   2   1   0
 *  +---+---+---+---+---+---+---+---+
 *  |     reserved      | W | M | R |     R = referenced, M = modified, W = written
 *  +---+---+---+---+---+---+---+---+
 *
 * R and M summarise the Accessed and Dirty bits of PTEs that no longer exist: when a leaf that maps
 * the frame is cleared, its owner passes the leaf's A/D state to pmap.clearLeaf and the pmap ORs it
 * in here, so "was this frame ever touched / written since the flags were last cleared" survives an
 * unmap, a disconnect or a table steal. Live PTEs keep their own A/D bits (the GPT reads those).
 *
 * W is M's twin for reclaim (mmu/vm/reclaim.ts): "written since the page's swap copy was taken".
 * Setting M sets W too, but clearing M leaves W alone: a dirty-log harvest takes M (and the PTEs'
 * Dirty, which it then records as W), yet the swap copy is stale all the same. Only reclaim clears
 * W, when it fills a frame from the swap store, and object free clears everything.
 *
 * W matters only for a frame whose page has a copy in the swap store (reclaim asks it nowhere
 * else), and a copy comes to be only when a page loses its frame (all flags of the frame cleared),
 * so a frame holds a page with a copy only after reclaim filled it from that copy, with W cleared,
 * and from then until the copy is dropped the host counts at least one copy (Pmap.swapCopies). So
 * a harvest that finds swapCopies at 0 records no W: there is no copy it could make stale, and a
 * copy made later starts with W cleared anyway. That spares the harvest one write per dirty page
 * into this array, one cache line each when the frames are scattered over a large host RAM.
 *
 * Which of the seed's flags exist here, and why:
 *  - referenced, modified: kept, with the meaning above.
 *  - internal, alternate-accounting, reusable: these split a task's memory footprint between
 *    anonymous and file-backed pages and purgeable pages. nestvm has one kind of guest memory
 *    (reservoir frames), and an owner's footprint is its ledger, so they would be constant: omitted.
 *  - the per-head "first CPU mapping" flag and IOMMU flags: nestvm has no IOMMU mappings.
 *  - cache attributes (WIMG): memory type lives in each leaf (EPT bits 5:3, PAT bits, MemAttr); a
 *    host frame has no type of its own here, so none is kept per frame.
 *
 * `modified` counts the frames with M set, so that a dirty-log harvest can skip its pass over the
 * frames' attributes when none is (the common case: M is set only when a dirty leaf is cleared
 * without a harvest, and by a write hold's release).
 *
 * Invariants: only the bits in ATTR_ALL are ever set; M set implies W set; `modified` is the
 * number of frames with M set.
 */

import type { Hfn } from '../addr.js';
import { assert } from '../checks.js';

export const ATTR_REFERENCED = 1 << 0;
export const ATTR_MODIFIED = 1 << 1;
export const ATTR_WRITTEN = 1 << 2;
export const ATTR_ALL = ATTR_REFERENCED | ATTR_MODIFIED | ATTR_WRITTEN;

export class PageAttributes {
  private readonly bits: Uint8Array;
  /** Frames with M set. */
  modified = 0;

  constructor(frameCount: number) {
    this.bits = new Uint8Array(frameCount);
  }

  get(f: Hfn): number {
    return this.bits[f];
  }

  set(f: Hfn, mask: number): void {
    assert((mask & ~ATTR_ALL) === 0, 'page attributes: unknown bits');
    const was = this.bits[f];
    this.bits[f] |= (mask & ATTR_MODIFIED) !== 0 ? mask | ATTR_WRITTEN : mask;
    if ((was & ATTR_MODIFIED) === 0 && (mask & ATTR_MODIFIED) !== 0) this.modified++;
  }

  clear(f: Hfn, mask: number): void {
    assert((mask & ~ATTR_ALL) === 0, 'page attributes: unknown bits');
    if ((this.bits[f] & mask & ATTR_MODIFIED) !== 0) this.modified--;
    this.bits[f] &= ~mask;
  }
}
