/*
 * The seam of same-page merging: what the host run calls, so that the built-in scanner
 * (merge-scan.ts) and a merger written elsewhere (the `merge` lab's, on merge-kit.ts) are driven
 * the same way.
 *
 *   PageMerger.pass(pages)        between slices, every merge interval (emulator/host-run.ts):
 *                                 look at up to `pages` guest pages, merge what is the same;
 *                                 returns the pages that joined a shared frame
 *   Vmspace.shareBreaker          the nested fault on a page whose frame is shared (Vmspace.lookupMap):
 *     (space, page, m, need)      the frame to map and its rights; null there means the built-in
 *                                 one, sharedAccess in vmspace-merge.ts (a read maps the shared
 *                                 frame without write; a write copies the page onto a frame of its
 *                                 own first)
 *
 * A merger keeps the book of shared frames (frame-shares.ts) true whichever code does the work:
 * a page that uses a shared frame is on the book, and every leaf that maps a shared frame withholds
 * write. The host run does not check that; the vmspace's and the pmap's sweeps do.
 */
import type { Gpa, Hfn } from '../addr.js';
import type { Prot } from '../prot.js';
import type { VmMapping } from './vm-mapping.js';
import type { Vmspace } from './vmspace.js';

export interface PageMerger {
  /** One pass: look at up to `pages` pages; returns the pages that joined a shared frame. */
  pass(pages: number): number;
}

/** A nested fault needing `need` on `page`, whose frame is shared now: what to map (frame -1: none). */
export type ShareBreaker = (
  space: Vmspace,
  page: Gpa,
  m: VmMapping,
  need: Prot,
) => { frame: Hfn | -1; prot: Prot };
