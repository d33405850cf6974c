/*
 * A vmspace's side of same-page merging (frame-shares.ts, merge-scan.ts): which pages may be
 * merged, moving a page onto a shared frame, and breaking the share when the guest writes.
 *
 *   mergeCandidate(space, page)   the page's own frame, or -1: not in a mergeable object, no frame
 *                                 yet, shared already, watched by a debugger, or held by a device
 *   mergePage(space, page, s)     page -> shared frame s; a present leaf is cleared and written
 *                                 again for s WITHOUT write (so every PTE of s, in every VM,
 *                                 withholds write), and the page's own frame goes back
 *   sharedAccess(space, page, m, need)
 *                                 the fault path on a merged page (Vmspace.lookupMap): a read or
 *                                 fetch maps the shared frame without write; a write breaks the
 *                                 share first: the read-only leaf goes, the page gets a frame of
 *                                 its own with a copy, and the new leaf has the mapping's rights
 *
 * Both changes clear a leaf that a TLB may hold, so both report it through the GPT's
 * onInvalidate, which moves the vmspace generation on and kicks or flushes every client of that
 * VM (vm-generation.ts): the scanner runs between slices, and a break inside a fault is what a
 * disconnect during a fault already is. A write could otherwise go on reaching the shared frame
 * under another guest-virtual alias of the page.
 *
 *   ownFrameForWrite(space, page) a host-side write by page (guest-pages.ts) breaks the share the
 *                                 same way first, so it never lands in a frame other pages use
 *
 * Invariants: a leaf that maps a shared frame never grants write (vmspace-check.ts sweeps it); a
 * page's leaf always maps the page's current frame.
 */
import type { Gpa, Hfn } from '../addr.js';
import { PAGE_SIZE, hex } from '../addr.js';
import { assert, fullChecks } from '../checks.js';
import type { Prot } from '../prot.js';
import { PROT_WRITE } from '../prot.js';
import { objectOffset, type VmMapping } from './vm-mapping.js';
import type { Vmspace } from './vmspace.js';

/** The frame of `page` as the merge scanner may use it, or -1 (see the essay). */
export function mergeCandidate(space: Vmspace, page: Gpa): Hfn | -1 {
  const m = space.findMapping(page);
  if (m === null || !m.object.mergeable || space.isRestricted(page)) return -1;
  const off = objectOffset(m, page);
  const f = m.object.currentFrame(off);
  if (f === -1 || m.object.isSharedAt(off)) return -1;
  for (const c of space.clients()) for (const h of c.holds()) if (h.hfn === f) return -1;
  return f;
}

/**
 * Merge: `page` (a mergeCandidate) uses the shared frame s from now on, s being its own frame when
 * it is the first of its group (the keeper).
 */
export function mergePage(space: Vmspace, page: Gpa, s: Hfn): void {
  const m = space.findMapping(page);
  assert(m !== null && mergeCandidate(space, page) !== -1, `vmspace: ${hex(page)} cannot be merged`);
  const off = objectOffset(m, page);
  const from = m.object.currentFrame(off);
  const gpt = space.gpt;
  const had = gpt.unmap(page);
  m.object.shareFrame(off, s);
  if (had) {
    const st = gpt.mapAt(page, s, m.prot & ~PROT_WRITE, m.object.memType);
    assert(st === 'mapped', `vmspace: merged page ${hex(page)} could not be mapped again (${st})`);
    gpt.onInvalidate?.(page, PAGE_SIZE);
  }
  if (space.sink.enabled) space.sink.emit({ type: 'merge', vm: space.vmId, gpa: page, from, to: s });
  if (fullChecks()) space.checkInvariants();
}

/** A nested fault on a merged page (see the essay): the frame to map and its rights; -1 if none. */
export function sharedAccess(
  space: Vmspace,
  page: Gpa,
  m: VmMapping,
  need: Prot,
): { frame: Hfn | -1; prot: Prot } {
  const off = objectOffset(m, page);
  const from = m.object.currentFrame(off) as Hfn;
  if ((need & PROT_WRITE) === 0) return { frame: from, prot: m.prot & ~PROT_WRITE };
  return { frame: breakShare(space, page, m, off, from), prot: m.prot };
}

/* The page's read-only leaf goes (published at once), and the page gets its own frame, a copy. */
function breakShare(space: Vmspace, page: Gpa, m: VmMapping, off: number, from: Hfn): Hfn | -1 {
  if (space.gpt.unmap(page)) space.gpt.onInvalidate?.(page, PAGE_SIZE);
  const to = m.object.unshareFrame(off, space.mem);
  if (to !== -1 && space.sink.enabled)
    space.sink.emit({ type: 'merge-break', vm: space.vmId, gpa: page, from, to });
  return to;
}

/**
 * A host-side write to `page` that does not come through a fault (a device model or the wakeup
 * mailbox writing guest RAM by page, between slices): a merged page first gets a frame of its
 * own, as a guest write would give it, so the write never reaches another page's content. The
 * frame to write (the page's own), or -1 when no frame is left for the copy.
 */
export function ownFrameForWrite(space: Vmspace, page: Gpa): Hfn | -1 {
  const m = space.findMapping(page);
  assert(m !== null, `vmspace: no mapping for ${hex(page)}`);
  const off = objectOffset(m, page);
  const f = m.object.currentFrame(off);
  if (f === -1 || !m.object.isSharedAt(off)) return f;
  return breakShare(space, page, m, off, f);
}
