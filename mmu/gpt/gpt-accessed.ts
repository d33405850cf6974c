/*
 * Accessed in the paging-structure entries of a walk (DESIGN §4).
 *
 * When the hardware walks the nested tables for a translation, it sets Accessed not only in the
 * leaf but in every entry the walk uses, where the format has such a flag:
 *
 *   Intel EPT (A/D enabled)   bit 8 in the PML4E, PDPTE, PDE and the PTE    (SDM Vol. 3C, "Accessed
 *                                                                            and Dirty Flags for EPT")
 *   AMD nPT                   A, bit 5, at every level, as in x86-64 tables
 *   arm64 stage-2             AF, bit 10, in leaf and block descriptors only: table descriptors
 *                             have none, so nothing above the leaf changes
 *
 *   root table ──entry(A)──► L3 table ──entry(A)──► L2 table ──entry(A)──► leaf table ──leaf(A, D)
 *              \___________________ markPathAccessed ___________________/   Gpt.markAccessed
 *
 * Dirty stays a leaf-only flag in all three formats. The fill path calls this only when it changes
 * the leaf, which is exactly when the walk could find a pointer without Accessed: nestvm never
 * clears Accessed in a pointer, and a pointer written fresh (populate, or a table put back after a
 * steal) only leads to leaves that are fresh too. So the invariant, checked by the GPT's sweep, is:
 * a present leaf with Accessed set has Accessed set in every pointer above it.
 *
 * Every write goes through the pmap (updateTable), as every other entry write; only entries that
 * change are written, and nothing is allocated.
 */

import type { Hpa } from '../addr.js';
import type { Pmap } from '../host/pmap.js';
import type { EntryFormat, PteWords } from './entry-format.js';
import { LEAF_LEVEL, ROOT_LEVEL, entryAddr, levelIndex } from './gpt-geometry.js';

/**
 * Set Accessed in each table pointer on the walk of gpa from the root frame down to its leaf
 * table (levels 4..2); a format without Accessed in its pointers is left alone. Returns the number
 * of pointers changed. `w` is the caller's scratch pair.
 */
export function markPathAccessed(
  u32: Uint32Array,
  fmt: EntryFormat,
  pmap: Pmap,
  root: number,
  gpa: number,
  w: PteWords,
): number {
  if (!fmt.tablesAccessed) return 0;
  let table = root;
  let changed = 0;
  for (let level = ROOT_LEVEL; level > LEAF_LEVEL; level--) {
    const pte = entryAddr(table, levelIndex(level, gpa));
    const lo = u32[pte >>> 2];
    const hi = u32[(pte >>> 2) + 1];
    if (!fmt.isPresent(lo, hi)) return changed;
    if (!fmt.isAccessed(lo, hi)) {
      fmt.setAccessed(w, lo, hi);
      pmap.updateTable(pte as Hpa, w.lo, w.hi);
      changed++;
    }
    table = fmt.frameOf(lo, hi);
  }
  return changed;
}
