/*
 * The mapping list of a vmspace: which object backs which guest-physical range.
 *
 * A mapping says "guest-physical [gpa, gpa + len) shows bytes [offset, offset + len) of object,
 * with rights prot". The list is kept sorted by gpa, so lookup is a binary search and the
 * overlap test only looks at the neighbours of the insertion point.
 *
 *   gpa  0        0x9000          0x10_0000              0x90_0000
 *        |--ram---|               |-----ram (offset 9000)---|     |uart|
 *        mappings[0]              mappings[1]                      mappings[2]
 *
 * Invariants (checkInvariants sweeps them): mappings are sorted and pairwise disjoint; each has
 * page-aligned gpa, len > 0 and offset, offset + len <= object.size, and a live object.
 */

import type { Gpa } from '../addr.js';
import { PAGE_SIZE } from '../addr.js';
import { assert } from '../checks.js';
import type { Prot } from '../prot.js';
import type { VmObject } from './vm-object.js';

export interface VmMapping {
  readonly object: VmObject;
  readonly gpa: Gpa;
  readonly len: number;
  /** Byte offset in the object of the page at gpa. */
  readonly offset: number;
  readonly prot: Prot;
}

/** Byte offset in the mapping's object of guest-physical address a (inside the mapping). */
export const objectOffset = (m: VmMapping, a: number): number => m.offset + (a - m.gpa);

export class MappingList {
  private readonly list: VmMapping[] = [];

  get length(): number {
    return this.list.length;
  }

  /** The mappings in address order (do not modify). */
  all(): readonly VmMapping[] {
    return this.list;
  }

  /* Index of the first mapping whose end is above a (list.length when none). */
  private firstEndingAbove(a: number): number {
    let lo = 0;
    let hi = this.list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = this.list[mid];
      if (m.gpa + m.len <= a) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The mapping containing address a, or null. */
  find(a: number): VmMapping | null {
    const i = this.firstEndingAbove(a);
    const m = this.list[i];
    return m !== undefined && m.gpa <= a ? m : null;
  }

  /** The mapping that contains all of [a, a + len), or null. */
  findRange(a: number, len: number): VmMapping | null {
    const m = this.find(a);
    return m !== null && a + len <= m.gpa + m.len ? m : null;
  }

  /** The first mapping overlapping [a, a + len), or null when the range is a gap. */
  firstOverlap(a: number, len: number): VmMapping | null {
    const m = this.list[this.firstEndingAbove(a)];
    return m !== undefined && m.gpa < a + len ? m : null;
  }

  /** Mappings overlapping [a, a + len), in order. */
  overlapping(a: number, len: number): VmMapping[] {
    const out: VmMapping[] = [];
    for (let i = this.firstEndingAbove(a); i < this.list.length && this.list[i].gpa < a + len; i++)
      out.push(this.list[i]);
    return out;
  }

  insert(m: VmMapping): void {
    assert(this.firstOverlap(m.gpa, m.len) === null, 'mapping list: inserting an overlapping mapping');
    this.list.splice(this.firstEndingAbove(m.gpa), 0, m);
  }

  remove(m: VmMapping): void {
    const i = this.list.indexOf(m);
    assert(i >= 0, 'mapping list: removing a mapping that is not in the list');
    this.list.splice(i, 1);
  }

  checkInvariants(): void {
    let prevEnd = -1;
    for (const m of this.list) {
      assert(m.gpa % PAGE_SIZE === 0 && m.len % PAGE_SIZE === 0 && m.len > 0, 'mapping: not page-aligned');
      assert(m.offset % PAGE_SIZE === 0 && m.offset + m.len <= m.object.size, 'mapping: outside its object');
      assert(!m.object.isFreed, 'mapping: its object has been freed');
      assert(m.gpa >= prevEnd, 'mapping list: unsorted or overlapping');
      prevEnd = m.gpa + m.len;
    }
  }
}
