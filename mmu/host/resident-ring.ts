/*
 * The resident ring: the guest frames a replacement policy chooses among, in the order they came in.
 *
 * A circular doubly linked list threaded through typed arrays indexed by frame number, so joining,
 * leaving and stepping are O(1) and no object is made per frame. Beside it a dense array of the
 * members, for picking the k-th one (a random policy):
 *
 *        oldest                                   newest
 *   ──► [ f3 ] ◄──► [ f9 ] ◄──► [ f1 ] ◄──► ... [ f6 ] ◄──┐
 *   │     ▲                                               │   next[f] / prev[f]  (-1: not a member)
 *   │     └─── head                                       │   dense[pos[f]] = f
 *   └─────────────────────────────────────────────────────┘
 *
 * join(f) puts f at the tail (just before head, the newest), or just before a given member, which
 * is how a clock admits a frame "behind its hand". leave(f) unlinks it; if it was the head, the head
 * moves on to the next member.
 *
 * Invariants (checkInvariants): following next from head visits each member exactly once and comes
 * back to head; prev is next's inverse; dense holds exactly the members; a non-member has next -1.
 */

import type { Hfn } from '../addr.js';
import { assert } from '../checks.js';

export class ResidentRing {
  private readonly nextOf: Int32Array;
  private readonly prevOf: Int32Array;
  private readonly dense: Uint32Array;
  private readonly pos: Uint32Array;
  private n = 0;
  private headFrame = -1;

  constructor(frameCount: number) {
    this.nextOf = new Int32Array(frameCount).fill(-1);
    this.prevOf = new Int32Array(frameCount).fill(-1);
    this.dense = new Uint32Array(frameCount);
    this.pos = new Uint32Array(frameCount);
  }

  get count(): number {
    return this.n;
  }

  /** The oldest member, or -1 when the ring is empty. */
  get head(): Hfn | -1 {
    return this.headFrame as Hfn | -1;
  }

  has(f: Hfn): boolean {
    return f >= 0 && f < this.nextOf.length && this.nextOf[f] !== -1;
  }

  /** The member after f (wrapping round to the oldest). */
  next(f: Hfn): Hfn {
    assert(this.has(f), 'resident ring: next of a frame that is not a member');
    return this.nextOf[f] as Hfn;
  }

  /** The k-th member in no particular order (0 <= k < count). */
  nth(k: number): Hfn {
    assert(k >= 0 && k < this.n, 'resident ring: index out of range');
    return this.dense[k] as Hfn;
  }

  /** Add f as the newest member, or just before `before` (a member) when given. */
  join(f: Hfn, before: Hfn | -1 = this.headFrame as Hfn | -1): void {
    assert(f >= 0 && f < this.nextOf.length, 'resident ring: frame out of range');
    assert(!this.has(f), 'resident ring: frame is a member already');
    if (this.headFrame === -1) {
      this.nextOf[f] = f;
      this.prevOf[f] = f;
      this.headFrame = f;
    } else {
      assert(before !== -1 && this.has(before), 'resident ring: joining before a non-member');
      const p = this.prevOf[before];
      this.nextOf[p] = f;
      this.prevOf[f] = p;
      this.nextOf[f] = before;
      this.prevOf[before] = f;
    }
    this.dense[this.n] = f;
    this.pos[f] = this.n++;
  }

  leave(f: Hfn): void {
    assert(this.has(f), 'resident ring: frame is not a member');
    const nx = this.nextOf[f];
    const pv = this.prevOf[f];
    if (nx === f) this.headFrame = -1;
    else {
      this.nextOf[pv] = nx;
      this.prevOf[nx] = pv;
      if (this.headFrame === f) this.headFrame = nx;
    }
    this.nextOf[f] = -1;
    this.prevOf[f] = -1;
    const last = this.dense[--this.n];
    this.dense[this.pos[f]] = last;
    this.pos[last] = this.pos[f];
  }

  /** The members from oldest to newest (a copy; for display, hooks and tests). */
  inOrder(): Hfn[] {
    const out: Hfn[] = [];
    if (this.headFrame === -1) return out;
    let f = this.headFrame;
    do {
      out.push(f as Hfn);
      f = this.nextOf[f];
    } while (f !== this.headFrame);
    return out;
  }

  /** Full sweep (see the essay). */
  checkInvariants(): void {
    const order = this.inOrder();
    assert(order.length === this.n, 'resident ring: the ring and the count disagree');
    const seen = new Set<number>();
    for (const f of order) {
      assert(!seen.has(f), 'resident ring: a member appears twice');
      seen.add(f);
      assert(this.prevOf[this.nextOf[f]] === f, 'resident ring: prev is not the inverse of next');
    }
    for (let k = 0; k < this.n; k++) {
      assert(seen.has(this.dense[k]), 'resident ring: dense array holds a non-member');
      assert(this.pos[this.dense[k]] === k, 'resident ring: position index is stale');
    }
  }
}
