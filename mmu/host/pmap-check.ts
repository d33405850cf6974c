/*
 * The pmap's full sweep (run after every mutating operation when fullChecks() is on).
 *
 * What it proves, frame by frame over host RAM:
 *  1. PV heads are well formed (pv-head.ts checkHead) and their counts match their lists.
 *  2. Every PTE location on a PV list is an installed leaf, and appears on one list only; together
 *     with "PV mappings + unmanaged leaves = installed leaves" this makes the PV lists and the
 *     installed leaves the same set (a bijection).
 *  3. A frame is a table exactly when it has a descriptor with a registered owner; a non-table
 *     frame has refcount 0 and holds no installed entries.
 *  4. Inside each table: the per-table counts equal the bits, no entry is both leaf and pointer,
 *     and an entry of host RAM is non-zero exactly when it is installed (all writes go through the
 *     pmap, and clearing writes zero).
 *  5. Ledger: each owner's table frames and mapped entries equal what the descriptors and the
 *     installed leaves say.
 *  6. PV pool: entries on lists and free entries are disjoint and together are all carved entries.
 *  7. With a frame allocator: tables are allocated as 'table' frames, mapped frames are allocated.
 * Cost: O(frames + tables * 512 + PV entries). It allocates scratch arrays; it is not a hot path.
 */

import type { Hfn } from '../addr.js';
import { assert, broken } from '../checks.js';
import type { FrameAllocator } from './frame-allocator.js';
import { PTES_PER_FRAME } from './installed-entries.js';
import type { Pmap } from './pmap.js';
import { HEAD_TABLE } from './pv-head.js';
import { NO_OWNER } from './table-owner.js';
import { PAGE_SIZE } from '../addr.js';

export function checkPmap(p: Pmap, frames?: FrameAllocator): void {
  const { mem, heads, desc, entries, ledger, pool } = p;
  const pveMark = new Uint8Array(pool.next.length);
  const seen = new Uint32Array(entries.leafBits.length);
  const onPte = (pte: number): void => {
    if (!(pte % 8 === 0 && pte < mem.bytes)) broken(`pmap check: PV holds a bad PTE location ${pte}`);
    const i = pte >>> 3;
    const bit = 1 << (i & 31);
    if ((entries.leafBits[i >>> 5] & bit) === 0)
      broken(`pmap check: PV holds ${pte}, which is not an installed leaf`);
    if ((seen[i >>> 5] & bit) !== 0) broken(`pmap check: PTE ${pte} is on two PV lists`);
    seen[i >>> 5] |= bit;
  };
  const tablesBy = new Array<number>(ledger.tableFrames.length).fill(0);
  const leavesBy = new Array<number>(ledger.tableFrames.length).fill(0);
  let pvTotal = 0;
  let leafTotal = 0;
  for (let f = 0 as Hfn; f < mem.frameCount; f++) {
    pvTotal += heads.checkHead(f, pveMark, onPte);
    if (heads.kind[f] === HEAD_TABLE) {
      const o = desc.owner[f];
      if (!(o !== NO_OWNER && p.isOwner(o))) broken(`pmap check: table ${f} has no registered owner`);
      checkTableFrame(p, f);
      tablesBy[o]++;
      leavesBy[o] += entries.leaves[f];
      leafTotal += entries.leaves[f];
      if (frames)
        if (frames.purpose(f) !== 'table') broken(`pmap check: table ${f} is not an allocated table frame`);
    } else {
      if (!(desc.owner[f] === NO_OWNER && desc.refs[f] === 0))
        broken(`pmap check: frame ${f} has a stale descriptor`);
      if (!(entries.leaves[f] === 0 && entries.ptrs[f] === 0))
        broken(`pmap check: frame ${f} holds entries but is no table`);
      if (frames && heads.count[f] > 0)
        if (!frames.isAllocated(f)) broken(`pmap check: free frame ${f} is still mapped`);
    }
  }
  assert(pvTotal + p.unmanagedLeaves === leafTotal, 'pmap check: PV mappings disagree with installed leaves');
  for (let o = 1; o < ledger.tableFrames.length; o++) {
    if (ledger.tableFrames[o] !== tablesBy[o]) broken(`pmap check: ledger table frames of owner ${o}`);
    if (ledger.mappedEntries[o] !== leavesBy[o]) broken(`pmap check: ledger mapped entries of owner ${o}`);
  }
  let used = 0;
  for (let e = 0; e < pveMark.length; e++) if (pveMark[e] === 1) used++;
  assert(used === pool.inUse, 'pmap check: PV entries on lists disagree with the pool in-use count');
  pool.checkInvariants(pveMark);
}

/* Counts equal bits, no double-installed entry, and non-zero entries are exactly the installed ones. */
function checkTableFrame(p: Pmap, t: Hfn): void {
  const { mem, entries } = p;
  const [l, ptr, both] = entries.recount(t);
  if (both !== 0) broken(`pmap check: table ${t} has an entry that is both leaf and pointer`);
  if (!(l === entries.leaves[t] && ptr === entries.ptrs[t]))
    broken(`pmap check: table ${t} counts disagree with bits`);
  const w0 = t * (PTES_PER_FRAME * 2);
  for (let i = 0; i < PTES_PER_FRAME; i++) {
    const nonzero = (mem.u32[w0 + 2 * i] | mem.u32[w0 + 2 * i + 1]) !== 0;
    const pte = t * PAGE_SIZE + i * 8;
    const installed =
      (entries.leafBits[pte >>> 8] & (1 << ((pte >>> 3) & 31))) !== 0 ||
      (entries.ptrBits[pte >>> 8] & (1 << ((pte >>> 3) & 31))) !== 0;
    if (nonzero !== installed)
      broken(
        `pmap check: entry ${pte} is ${nonzero ? 'non-zero' : 'zero'} but ${installed ? '' : 'not '}installed`,
      );
  }
}
