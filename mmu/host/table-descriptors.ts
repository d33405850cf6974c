/*
 * Page-table descriptors: what the host knows about a frame that holds a page table.
 *
 * One slot per host frame, in parallel typed arrays (no object per table):
 *
 *   owner[f]   registered owner id (>= 1), 0 when f is not a table
 *   level[f]   the table's level as its owner numbers it (1 = leaf table, 4 = root)
 *   base[f]    first guest-physical address the table translates
 *   refs[f]    the owner's reference count for the table
 *
 * The reference count is the single source of truth for the GPT's nodes: the GPT keeps no count of
 * its own, it calls adjust() and reads get(). What it counts is the owner's business (DESIGN §3:
 * child tables for an interior table, covered entries for a leaf table); the host guarantees that
 * it never goes below zero and that a table is not released while it is above zero.
 *
 * Invariants: owner[f] != 0 exactly when the frame's PV head is TABLE (pmap keeps both in step);
 * refs[f] = 0 and level, base cleared whenever owner[f] = 0.
 */

import type { Gpa, Hfn } from '../addr.js';
import { assert } from '../checks.js';
import { NO_OWNER } from './table-owner.js';

export class TableDescriptors {
  readonly owner: Uint16Array;
  readonly level: Uint8Array;
  readonly base: Float64Array;
  readonly refs: Uint32Array;

  constructor(frameCount: number) {
    this.owner = new Uint16Array(frameCount);
    this.level = new Uint8Array(frameCount);
    this.base = new Float64Array(frameCount);
    this.refs = new Uint32Array(frameCount);
  }

  isSet(f: Hfn): boolean {
    return this.owner[f] !== NO_OWNER;
  }

  set(f: Hfn, ownerId: number, level: number, base: Gpa): void {
    assert(this.owner[f] === NO_OWNER, 'descriptor: frame already describes a table');
    assert(ownerId > NO_OWNER && ownerId <= 0xffff, 'descriptor: bad owner id');
    assert(Number.isInteger(level) && level >= 1 && level <= 255, 'descriptor: bad level');
    this.owner[f] = ownerId;
    this.level[f] = level;
    this.base[f] = base;
    this.refs[f] = 0;
  }

  /** Forget the table; `force` skips the zero-refcount check (used only when a table is stolen). */
  clear(f: Hfn, force = false): void {
    assert(this.owner[f] !== NO_OWNER, 'descriptor: frame is not a table');
    assert(force || this.refs[f] === 0, 'descriptor: clearing a table whose refcount is above zero');
    this.owner[f] = NO_OWNER;
    this.level[f] = 0;
    this.base[f] = 0;
    this.refs[f] = 0;
  }

  adjust(f: Hfn, delta: number): number {
    assert(this.owner[f] !== NO_OWNER, 'refcount: frame is not a table');
    const n = this.refs[f] + delta;
    assert(n >= 0, 'refcount underflow');
    assert(n <= 0xffffffff, 'refcount overflow');
    this.refs[f] = n;
    return n;
  }
}
