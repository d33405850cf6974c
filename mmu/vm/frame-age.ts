/*
 * A guest frame's age as reclaim reads it: its Accessed and Dirty state, read through the frame's
 * PV list, and clock's first pass, which clears Accessed.
 *
 *   accessed   the frame's referenced attribute, or Accessed in any of this VM's PTEs that map it
 *   dirty      Dirty in any PTE that maps it (the caller adds the written attribute and whether
 *              a swap copy exists)
 *   clear      referenced off; then, in each of this VM's PTEs, a Dirty state is saved into the
 *              modified attribute before Accessed goes off, and the page's range joins `cleared`,
 *              whose cached translations must go (the caller publishes one invalidation for it)
 *
 * A shared frame's PV list names other VMs' PTEs too (frame-shares.ts); its age is judged by this
 * VM's own PTEs only, the ones whose table this vmspace's GPT owns, so each VM decodes entries of
 * its own format.
 */
import type { Hfn, Hpa } from '../addr.js';
import { PAGE_SIZE, hfn } from '../addr.js';
import { ATTR_MODIFIED, ATTR_REFERENCED } from '../host/page-attributes.js';
import type { Vmspace } from './vmspace.js';

/** The guest-physical span whose Accessed bits were cleared since it was last published. */
export interface ClearedSpan {
  lo: number;
  hi: number;
}

export const emptySpan = (): ClearedSpan => ({ lo: Infinity, hi: -Infinity });

/* Whether the PTE at pte is one of this VM's. */
function ours(space: Vmspace, pte: number): boolean {
  return space.pmap.descOwner(hfn(pte >>> 12)) === space.gpt.ownerId;
}

export function frameAccessed(space: Vmspace, f: Hfn): boolean {
  if (space.pmap.isReferenced(f)) return true;
  const fmt = space.format;
  const u32 = space.mem.u32;
  let a = false;
  space.pmap.forEachMapping(f, (pte) => {
    if (ours(space, pte) && fmt.isAccessed(u32[pte >>> 2], u32[(pte >>> 2) + 1])) a = true;
  });
  return a;
}

export function dirtyInPtes(space: Vmspace, f: Hfn): boolean {
  const fmt = space.format;
  const u32 = space.mem.u32;
  let d = false;
  space.pmap.forEachMapping(f, (pte) => {
    if (fmt.isDirty(u32[pte >>> 2], u32[(pte >>> 2) + 1])) d = true;
  });
  return d;
}

export function clearFrameAccessed(space: Vmspace, f: Hfn, cleared: ClearedSpan): void {
  const { pmap, gpt } = space;
  pmap.clearAttributes(f, ATTR_REFERENCED);
  for (const pte of pmap.mappings(f)) {
    if (!ours(space, pte)) continue;
    const g = gpt.gpaOfPte(pte as Hpa);
    if (gpt.isDirty(g)) pmap.setAttributes(f, ATTR_MODIFIED);
    if (!gpt.resetAccessed(g)) continue;
    cleared.lo = Math.min(cleared.lo, g);
    cleared.hi = Math.max(cleared.hi, g + PAGE_SIZE);
  }
}
