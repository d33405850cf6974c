/*
 * A page supplier: the pager of a fully backed memory object whose pages may be "not present"
 * even though the host has frames for them, because their content lives elsewhere for now.
 *
 * Post-copy live migration is the user (emulator/migration/postcopy-pages.ts). The destination's
 * guest runs before all of its RAM has arrived; a page the source still has to send is absent.
 * The first need of an absent page -- a nested fault of the guest, a device's hold, the guest
 * walk reading a table page -- reaches VmObject.frameAt, which asks the supplier to fill the
 * page's frame before it hands the frame out. That is the userfaultfd protocol in miniature:
 * registration (attach), a fault on a missing page (absent), and an atomic placement of the
 * content (supply), after which the page is present and never asked about again.
 *
 *   frameAt(off) ─► page has a frame? ──no──► take a zeroed one from the reservoir
 *                          │                          │
 *                          ▼                          ▼
 *                  supplier attached and absent(page)?  ──yes──► supply(page, frame)
 *                          │ no                                   (the page is present after)
 *                          ▼
 *                     the frame
 *
 * The supplier is not the Reclaimer's ObjectPager: a supplied object is fully backed (no
 * eviction), so the two never share one object; attaching a supplier to an object that has a
 * pager is a broken invariant, and so is attaching one twice.
 *
 * Invariants: supply(page, f) is called only for a page absent() reported, with the page's frame
 * (already held by the object), and leaves the page present: a second frameAt of it never calls
 * supply again. Nothing here touches nested tables: the page has no leaf while it is absent,
 * because a leaf is written only after frameAt returned.
 */
import type { Hfn } from '../addr.js';

export interface PageSupplier {
  /** Whether page `page` of the object is still absent (its content not here yet). */
  absent(page: number): boolean;
  /** Fill frame f with page `page`'s content now; the page is present from then on. */
  supply(page: number, f: Hfn): void;
}
