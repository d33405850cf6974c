/*
 * The dirty log of a vmspace: which guest pages were written since they were last harvested.
 *
 * A page's dirtiness lives in one of two places:
 *
 *   the PTE's Dirty state    set by the fill hook on a write (as hardware does), or by the release
 *                            of a write hold; cleared by a harvest
 *   the frame's modified     (pmap page attribute) where it goes when the dirty PTE is cleared
 *   attribute                without a harvest -- a disconnect, a table steal (the GPT hands the
 *                            A/D state to pmap.clearLeaf), an Accessed reset (which clears Dirty
 *                            with Accessed; we copy it first) -- and where a write hold's release
 *                            puts it whether or not the page is in the GPT
 *
 * A harvest collects both sources (and whatever the GPT itself reports) into a scratch bitmap
 * first, so a page found in more than one place is counted once, then ORs that into the caller's
 * bitmap. The modified attribute is per host frame, so this is exact while each frame backs one
 * guest page, which is how guest memory objects are mapped here; an unmapped object's frames keep
 * their attribute until the object is freed, so remapping it reports those pages once.
 *
 * Bit layout of a harvest bitmap (as the GPT's): page i of the range is byte i >> 3, bit i & 7.
 */

import type { Gpa, Hfn } from '../addr.js';
import { PAGE_SIZE, pageAlignDown, gpa as toGpa } from '../addr.js';
import type { Gpt } from '../gpt/gpt.js';
import type { HostMemory } from '../host/host-memory.js';
import { ATTR_MODIFIED } from '../host/page-attributes.js';
import type { Pmap } from '../host/pmap.js';
import type { DirtyRing } from './dirty-ring.js';
import type { VmMapping } from './vm-mapping.js';
import { objectOffset } from './vm-mapping.js';

const popcount8 = (b: number): number => {
  let n = 0;
  for (let v = b; v !== 0; v &= v - 1) n++;
  return n;
};

/**
 * Get-and-clear over [gpa, gpa + len) of the memory mappings `maps` (those overlapping the range):
 * ORs the dirty pages into `bitmap` and returns how many there were.
 */
export function harvestRange(
  gpt: Gpt,
  pmap: Pmap,
  maps: readonly VmMapping[],
  gpa: Gpa,
  len: number,
  bitmap: Uint8Array,
): number {
  const scratch = new Uint8Array(Math.ceil(len / PAGE_SIZE / 8));
  takeModified(pmap, maps, gpa, len, scratch);
  gpt.harvestDirty(gpa, len, scratch);
  let n = 0;
  for (let i = 0; i < scratch.length; i++) {
    n += popcount8(scratch[i]);
    bitmap[i] |= scratch[i];
  }
  return n;
}

/* Pages whose frame carries the modified attribute: set their bits, clear the attribute. */
function takeModified(
  pmap: Pmap,
  maps: readonly VmMapping[],
  gpa: number,
  len: number,
  bits: Uint8Array,
): void {
  if (pmap.modifiedFrames === 0) return; // the common case: nothing to look for
  const end = gpa + len;
  for (const m of maps) {
    if (m.object.isMmio) continue;
    const to = Math.min(end, m.gpa + m.len);
    for (let a = Math.max(gpa, m.gpa); a < to; a += PAGE_SIZE) {
      const f = m.object.currentFrame(objectOffset(m, a));
      if (f === -1 || (pmap.attributes(f) & ATTR_MODIFIED) === 0) continue;
      pmap.clearAttributes(f, ATTR_MODIFIED);
      const i = (a - gpa) / PAGE_SIZE;
      bits[i >>> 3] |= 1 << (i & 7);
      if (pmap.modifiedFrames === 0) return; // none left to find
    }
  }
}

/**
 * Clear Accessed (and with it Dirty) in every present leaf of [gpa, gpa + len) that has it; a
 * Dirty state is first copied to the frame's modified attribute. Returns the leaves reset.
 */
export function resetAccessedRange(gpt: Gpt, mem: HostMemory, pmap: Pmap, gpa: Gpa, len: number): number {
  const f = gpt.format;
  const u32 = mem.u32;
  const it = gpt.iterate(gpa, len);
  let n = 0;
  while (it.next()) {
    const lo = u32[it.pte >>> 2];
    const hi = u32[(it.pte >>> 2) + 1];
    if (!f.isPresent(lo, hi) || !f.isAccessed(lo, hi)) continue;
    const frame = f.frameOf(lo, hi);
    if (f.isDirty(lo, hi) && mem.isRam(frame)) pmap.setAttributes(frame, ATTR_MODIFIED);
    gpt.resetAccessed(toGpa(it.gpa));
    n++;
  }
  return n;
}

/**
 * A write hold on (gpa, frame f) is released: the frame is modified, and with dirty tracking on
 * the page's PTE (if still there, for that frame) gets Accessed and Dirty as a hardware write
 * would set them. Returns whether the PTE was marked.
 */
export function markWritten(
  gpt: Gpt,
  pmap: Pmap,
  tracking: boolean,
  gpa: Gpa,
  f: Hfn,
  ring: DirtyRing | null,
): boolean {
  pmap.setAttributes(f, ATTR_MODIFIED);
  ring?.push(pageAlignDown(gpa)); // ring mode: the VMM's own write goes into the ring directly
  if (!tracking) return false;
  const leaf = gpt.lookup(gpa);
  if (leaf === null || leaf.frame !== f) return false;
  gpt.markAccessed(leaf.pte, true);
  return true;
}
