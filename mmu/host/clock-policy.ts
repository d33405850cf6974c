/*
 * The clock policy: second chance over the nested Accessed bits.
 *
 * The resident frames sit on a ring with a hand pointing at one of them. Looking for a victim, the
 * hand sweeps forward:
 *
 *              hand
 *               ▼
 *   ... ─► [ f4 A ] ─► [ f8 · ] ─► [ f2 A ] ─► ...      A: some mapping's Accessed bit is set
 *
 *   the frame under the hand was accessed   clear its Accessed bits (in every PTE that maps it:
 *                                           EPT A, nPT A, stage-2 AF) and move on: its second chance
 *   it was not                               it is the victim; the hand rests just past it
 *   it may not be taken now                  skip it, leave its bits alone
 *
 * A frame that comes in joins just behind the hand, so it is the last one the hand reaches: it has
 * a whole turn to be used before it is looked at. After one full turn every eligible frame has had
 * its bit cleared, so the second turn finds a victim; if none is eligible the answer is -1 after
 * two turns. Clearing Accessed takes a bit away from a PTE, so the caller must make cached
 * translations go (the vmspace generation moves on), or the next access would not set it again.
 *
 * Invariant: the hand is a member whenever the ring is not empty.
 */

import type { Hfn } from '../addr.js';
import type { FrameState, ReplacementPolicy } from './replacement-policy.js';
import { ResidentRing } from './resident-ring.js';

export class ClockPolicy implements ReplacementPolicy {
  readonly name = 'clock';
  readonly members: ResidentRing;
  private at: Hfn | -1 = -1;
  /** Accessed bits cleared by the sweeps so far (second chances given). */
  secondChances = 0;

  constructor(frameCount: number) {
    this.members = new ResidentRing(frameCount);
  }

  get hand(): Hfn | -1 {
    return this.at;
  }

  admit(f: Hfn): void {
    if (this.at === -1) {
      this.members.join(f);
      this.at = f;
    } else this.members.join(f, this.at);
  }

  forget(f: Hfn): void {
    const r = this.members;
    if (this.at === f) this.at = r.count === 1 ? -1 : r.next(f);
    r.leave(f);
  }

  choose(state: FrameState): Hfn | -1 {
    const r = this.members;
    if (this.at === -1) return -1;
    let f = this.at;
    for (let step = 0; step < 2 * r.count; step++) {
      const next = r.next(f);
      if (state.eligible(f)) {
        if (!state.accessed(f)) {
          this.at = next;
          return f;
        }
        state.clearAccessed(f);
        this.secondChances++;
      }
      f = next;
    }
    this.at = f;
    return -1;
  }
}
