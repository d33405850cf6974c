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
 * The pass goes one leaf table at a time: a three-entry walk finds the table of each 2 MiB chunk in
 * host RAM (chunks without a table cost just that walk), then a tight loop reads the table's entries
 * straight from the Uint32Array. A clean entry costs one AND against the format's dirtyLoMask; only
 * entries with a dirty bit set pay for the format calls. Nothing is allocated.
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
import { ENTRIES_PER_TABLE, SPAN, entryAddr } from './gpt-geometry.js';
import { assertRange } from './gpt-tables.js';
import { NO_ENTRY, leafTable } from './gpt-walk.js';
import type { Gpt } from './gpt.js';

const scratch = newWords();

export function harvestDirty(gpt: Gpt, gpa: Gpa, len: number, bitmap: Uint8Array): number {
  assertRange(gpa, len, 'gpt harvestDirty');
  assert(bitmap.length * 8 >= len / PAGE_SIZE, 'gpt harvestDirty: bitmap too small');
  const end = gpa + len;
  const u32 = gpt.mem.u32;
  const root = gpt.rootFrame;
  let n = 0;
  for (let at: number = gpa; at < end;) {
    const stop = Math.min(end, at - (at % SPAN[2]) + SPAN[2]);
    const lost = gpt.tables.takeLostDirty(at, stop);
    const table = leafTable(u32, gpt.format, root, at);
    if (table !== NO_ENTRY || lost !== null) n += harvestChunk(gpt, table, lost, at, stop, gpa, bitmap);
    at = stop;
  }
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
  const f = gpt.format;
  const u32 = gpt.mem.u32;
  const sink = gpt.sink;
  const mask = f.dirtyLoMask;
  let n = 0;
  let index = (from / PAGE_SIZE) & (ENTRIES_PER_TABLE - 1);
  let w = table === NO_ENTRY ? NO_ENTRY : entryAddr(table, index) >>> 2;
  for (let g = from; g < to; g += PAGE_SIZE, index++, w += 2) {
    let dirty = lost !== null && (lost[index >>> 5] & (1 << (index & 31))) !== 0;
    if (table !== NO_ENTRY) {
      const lo = u32[w];
      if ((lo & mask) !== 0) {
        const hi = u32[w + 1];
        if (f.isPresent(lo, hi) && f.isDirty(lo, hi)) {
          f.clearDirty(scratch, lo, hi);
          if (scratch.lo !== lo || scratch.hi !== hi) gpt.pmap.updateLeaf(hpa(w * 4), scratch.lo, scratch.hi);
          // the dirty log takes the Dirty state; a swap copy of the page is stale all the same
          const frame = f.frameOf(lo, hi);
          if (gpt.mem.isRam(frame)) gpt.pmap.setAttributes(frame, ATTR_WRITTEN);
          dirty = true;
        }
      }
    }
    if (!dirty) continue;
    const i = (g - origin) / PAGE_SIZE;
    bitmap[i >>> 3] |= 1 << (i & 7);
    n++;
    if (sink.enabled) sink.emit({ type: 'ad-reset', gpa: g, accessed: false, dirty: true });
  }
  return n;
}
