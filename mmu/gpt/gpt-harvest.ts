/*
 * Dirty-log harvesting: "which pages of this range were written since the last harvest?", answered
 * and reset in one pass (get and clear), as a live-migration or dirty-logging VMM asks it.
 *
 *   bitmap bit i  (byte i >> 3, bit i & 7)  <->  page gpa + i * 4096
 *
 * For each dirty leaf the Dirty state is cleared through pmap.updateLeaf (for stage-2: S2AP write
 * bit cleared, DBM kept, so the page is writable-clean again) and bit i is set; other bits of the
 * bitmap are left as they are, so a caller can accumulate several harvests. Accessed is kept.
 *
 * Pages whose dirty leaf was cleared by pmap.disconnect or a table steal since the last harvest are
 * reported too (their nodes keep a lost-dirty bitmap, see gpt-node.ts), whether or not the page is
 * mapped again now.
 *
 * The pass descends the tree of bookkeeping nodes, and only into subtrees whose dirty hint is set
 * (gpt-node.ts): Gpt.markAccessed sets the hint of a leaf table and of every table above it when it
 * sets a Dirty bit there, and so does a lost-dirty record. A leaf table it visits is read straight
 * from the Uint32Array in one tight loop; a clean entry costs one AND against the format's
 * dirtyLoMask, and only entries with a dirty bit set pay for the format calls. A harvest clears the
 * hint of each leaf table it read whole, and of each table above whose children are all clear, so
 * the next harvest finds its way to the tables written since, and nothing else: its cost follows
 * the tables holding dirty pages, not guest RAM (the hardware walk plays no part). Nothing is
 * allocated.
 *
 * Invariants: the range is page-aligned and inside the address space; the bitmap has a bit for every
 * page of it; only leaves that were dirty change, and only in their Dirty state. The caller moves
 * the vmspace generation on afterwards (cached write rights must be dropped from the TLBs).
 */

import { PAGE_SIZE, hpa } from '../addr.js';
import type { Gpa } from '../addr.js';
import { assert } from '../checks.js';
import { ATTR_WRITTEN } from '../host/page-attributes.js';
import { newWords } from './entry-format.js';
import { ENTRIES_PER_TABLE, GPA_LIMIT, LEAF_LEVEL, entryAddr } from './gpt-geometry.js';
import type { GptNode } from './gpt-node.js';
import { assertRange } from './gpt-tables.js';
import { NO_ENTRY } from './gpt-walk.js';
import type { Gpt } from './gpt.js';

const scratch = newWords();

export function harvestDirty(gpt: Gpt, gpa: Gpa, len: number, bitmap: Uint8Array): number {
  assertRange(gpa, len, 'gpt harvestDirty');
  assert(bitmap.length * 8 >= len / PAGE_SIZE, 'gpt harvestDirty: bitmap too small');
  const root = gpt.tables.root;
  return root.dirtyHint ? harvestNode(gpt, root, gpa, gpa + len, bitmap) : 0;
}

/**
 * The harvest of the pages listed in `pages` only (Gpt.harvestPages, for a ring-mode harvest):
 * each page's leaf Dirty state and lost-dirty record, as harvestDirty reads them for the whole
 * range. hints[k] is the host address of pages[k]'s leaf entry, valid under the current table
 * epoch (gpt-tables.ts frameEpoch), or negative when not known: with a hint, and no lost-dirty
 * record anywhere, the entry is read where it is, without finding its table; without one, the
 * table is found from the root, or kept from the page before when that is in the same table.
 * found[k] is set to 1 when pages[k] was dirty, else 0; returns how many were. Any order is
 * correct, and so are repeats (each source is taken when read: a repeat finds nothing).
 */
export function harvestPages(
  gpt: Gpt,
  pages: Float64Array,
  hints: Float64Array,
  origin: Gpa,
  bitmap: Uint8Array,
  found: Uint8Array,
): number {
  assert(hints.length === pages.length, 'gpt harvestPages: one hint per page');
  const lostAny = gpt.tables.lostDirtyPages !== 0;
  let leaf: GptNode | null = null;
  let n = 0;
  for (let k = 0; k < pages.length; k++) {
    const page = pages[k];
    assert(page % PAGE_SIZE === 0 && page >= 0 && page < GPA_LIMIT, 'gpt harvestPages: not a page address');
    const index = (page / PAGE_SIZE) & (ENTRIES_PER_TABLE - 1);
    const hint = hints[k];
    found[k] = 0;
    let dirty = false;
    if (hint >= 0 && !lostAny) {
      assert((hint & (PAGE_SIZE - 1)) >>> 3 === index, 'gpt harvestPages: a hint for another page');
      dirty = takeDirtyEntry(gpt, hint >>> 2);
    } else {
      if (leaf === null || page < leaf.base || page >= leaf.end) leaf = gpt.tables.findNode(page, LEAF_LEVEL);
      if (leaf === null) continue;
      dirty = leaf.lostCount !== 0 && gpt.tables.takeLostDirtyOf(leaf, page, page + PAGE_SIZE) !== null;
      if (leaf.backed && takeDirtyEntry(gpt, entryAddr(leaf.frame, index) >>> 2)) dirty = true;
    }
    if (!dirty) continue;
    report(gpt, page, origin, bitmap);
    found[k] = 1;
    n++;
  }
  return n;
}

/* The hinted subtree of `node`, clipped to [from, to); bit positions count from `from`. */
function harvestNode(gpt: Gpt, node: GptNode, from: number, to: number, bitmap: Uint8Array): number {
  const lo = Math.max(from, node.base);
  const hi = Math.min(to, node.end);
  if (node.level === LEAF_LEVEL) {
    const lost = gpt.tables.takeLostDirtyOf(node, lo, hi);
    const table = node.backed ? node.frame : NO_ENTRY;
    const n = harvestChunk(gpt, table, lost, lo, hi, from, bitmap);
    if (lo === node.base && hi === node.end) node.dirtyHint = false;
    return n;
  }
  let n = 0;
  let hinted = false;
  for (let c = node.child; c !== null; c = c.next) {
    if (c.dirtyHint && c.end > lo && c.base < hi) n += harvestNode(gpt, c, from, to, bitmap);
    hinted ||= c.dirtyHint;
  }
  node.dirtyHint = hinted;
  return n;
}

/*
 * Harvest the pages [from, to) of one leaf table (NO_ENTRY when it is not in RAM), with `lost` the
 * lost-dirty mask taken for them (or null); bit positions count from `origin`.
 */
function harvestChunk(
  gpt: Gpt,
  table: number,
  lost: Uint32Array | null,
  from: number,
  to: number,
  origin: number,
  bitmap: Uint8Array,
): number {
  const u32 = gpt.mem.u32;
  const mask = gpt.format.dirtyLoMask;
  let n = 0;
  let index = (from / PAGE_SIZE) & (ENTRIES_PER_TABLE - 1);
  let w = table === NO_ENTRY ? NO_ENTRY : entryAddr(table, index) >>> 2;
  for (let g = from; g < to; g += PAGE_SIZE, index++, w += 2) {
    let dirty = lost !== null && (lost[index >>> 5] & (1 << (index & 31))) !== 0;
    // a clean entry costs one AND here; takeDirtyEntry looks again at those that pass
    if (table !== NO_ENTRY && (u32[w] & mask) !== 0 && takeDirtyEntry(gpt, w)) dirty = true;
    if (!dirty) continue;
    report(gpt, g, origin, bitmap);
    n++;
  }
  return n;
}

/* The leaf entry at word w of host RAM: when it is present and Dirty, clear Dirty; true if it was. */
function takeDirtyEntry(gpt: Gpt, w: number): boolean {
  const f = gpt.format;
  const u32 = gpt.mem.u32;
  const lo = u32[w];
  if ((lo & f.dirtyLoMask) === 0) return false;
  const hi = u32[w + 1];
  if (!f.isPresent(lo, hi) || !f.isDirty(lo, hi)) return false;
  f.clearDirty(scratch, lo, hi);
  if (scratch.lo !== lo || scratch.hi !== hi) gpt.pmap.updateLeaf(hpa(w * 4), scratch.lo, scratch.hi);
  // the dirty log takes the Dirty state; a swap copy of the page is stale all the same (with no
  // copy of any page on this host there is nothing to make stale: page-attributes.ts)
  if (gpt.pmap.swapCopies === 0) return true;
  const frame = f.frameOf(lo, hi);
  if (gpt.mem.isRam(frame)) gpt.pmap.setAttributes(frame, ATTR_WRITTEN);
  return true;
}

/* Page g was dirty: its bit (counted from origin) and its trace event. */
function report(gpt: Gpt, g: number, origin: number, bitmap: Uint8Array): void {
  const i = (g - origin) / PAGE_SIZE;
  bitmap[i >>> 3] |= 1 << (i & 7);
  if (gpt.sink.enabled) gpt.sink.emit({ type: 'ad-reset', gpa: g, accessed: false, dirty: true });
}
