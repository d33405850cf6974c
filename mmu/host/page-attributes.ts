/*
 * Page attributes: a byte of flags per host frame, kept by the pmap.
 *
 *    7   6   5   4   3   2   1   0
 *  +---+---+---+---+---+---+---+---+
 *  |       reserved        | M | R |     R = referenced, M = modified
 *  +---+---+---+---+---+---+---+---+
 *
 * R and M summarise the Accessed and Dirty bits of PTEs that no longer exist: when a leaf that maps
 * the frame is cleared, its owner passes the leaf's A/D state to pmap.clearLeaf and the pmap ORs it
 * in here, so "was this frame ever touched / written since the flags were last cleared" survives an
 * unmap, a disconnect or a table steal. Live PTEs keep their own A/D bits (the GPT reads those).
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
 * Invariant: only the bits in ATTR_ALL are ever set.
 */

import type { Hfn } from '../addr.js';
import { assert } from '../checks.js';

export const ATTR_REFERENCED = 1 << 0;
export const ATTR_MODIFIED = 1 << 1;
export const ATTR_ALL = ATTR_REFERENCED | ATTR_MODIFIED;

export class PageAttributes {
  private readonly bits: Uint8Array;

  constructor(frameCount: number) {
    this.bits = new Uint8Array(frameCount);
  }

  get(f: Hfn): number {
    return this.bits[f];
  }

  set(f: Hfn, mask: number): void {
    assert((mask & ~ATTR_ALL) === 0, 'page attributes: unknown bits');
    this.bits[f] |= mask;
  }

  clear(f: Hfn, mask: number): void {
    assert((mask & ~ATTR_ALL) === 0, 'page attributes: unknown bits');
    this.bits[f] &= ~mask;
  }
}
