/*
 * Iterating over the leaf slots of a guest-physical range.
 *
 * A GptIter visits, in address order, every leaf slot in [addr, addr + len) that has a leaf table
 * in host RAM -- present or not -- and skips absent subtrees whole (a missing level-3 entry skips
 * 1 GiB in one step). It is built on walk() and walkAdvance() and reads only host RAM, so what it
 * visits is what the hardware could reach.
 *
 *   const it = gpt.iterate(addr, len);
 *   while (it.next()) { use it.gpa and it.pte }
 *
 * The iterator is one object with a reusable walk path: next() allocates nothing, so it can run
 * over a whole 1 GiB region (262,144 slots) on hot-ish paths such as dirty-log harvesting.
 *
 * Invariants: addr and len are page-aligned and addr + len <= GPA_LIMIT; gpa increases strictly
 * from one next() to the following; it.pte is the slot of it.gpa. Changing leaf entries during the
 * iteration is allowed (unmap, A/D reset); adding or removing tables in the range is not.
 */

import { assert } from '../checks.js';
import type { EntryFormat } from './entry-format.js';
import { GPA_LIMIT, LEAF_LEVEL } from './gpt-geometry.js';
import { NO_ENTRY, newWalkPath, walk, walkAdvance } from './gpt-walk.js';
import { PAGE_SIZE } from '../addr.js';

export class GptIter {
  /** Address of the slot produced by the last next(). */
  gpa = 0;
  /** Host-physical address of that slot. */
  pte = 0;
  private cur: number;
  private readonly end: number;
  private readonly path = newWalkPath();

  constructor(
    private readonly u32: Uint32Array,
    private readonly fmt: EntryFormat,
    root: number,
    addr: number,
    len: number,
  ) {
    assert(addr % PAGE_SIZE === 0 && len % PAGE_SIZE === 0, 'gpt iterate: range must be page-aligned');
    assert(addr >= 0 && len >= 0 && addr + len <= GPA_LIMIT, 'gpt iterate: range outside the address space');
    this.cur = addr;
    this.end = addr + len;
    walk(u32, fmt, root, addr, this.path);
  }

  next(): boolean {
    while (this.cur < this.end) {
      const slot = this.path[LEAF_LEVEL];
      const at = this.cur;
      this.cur = walkAdvance(this.u32, this.fmt, at, this.path);
      if (slot !== NO_ENTRY) {
        this.gpa = at;
        this.pte = slot;
        return true;
      }
    }
    return false;
  }
}
