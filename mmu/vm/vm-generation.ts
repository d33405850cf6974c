/*
 * The page-table generation of a vmspace, and the gate every administrative change goes through.
 *
 * Unicorn's TLB stands in for the hardware TLB (DESIGN §1) and must never hold a translation the
 * tables no longer allow. So every change that clears a PTE or takes something from it -- unmap,
 * a dirty-log harvest that found dirty pages (write rights were cached on the strength of Dirty),
 * an Accessed reset that cleared something, a frame disconnect, a table stolen by the pool, dirty
 * tracking switched on -- moves the generation on, exactly once per change, and only when some
 * PTE actually lost something. Each client records the generation when its vCPU enters the
 * tables; a client whose record is older flushes before it runs guest code again: at its next
 * tableEnter (mustFlush), or as soon as the kick this change sends makes it leave the guest.
 *
 *   change(body):   every client -> HOLD          (an ACTIVE client here is a re-entrant call: throws)
 *                   body()                       (makes the change; noteRemoved(range) for removals)
 *                   publish: generation + 1      (only if something was noted)
 *                            every client told: spaceInvalidate(range, generation)
 *                                               (kicks ON_CPU clients on an older generation,
 *                                                runs invalidation callbacks)
 *                   every client -> its previous state
 *
 * Entries cleared behind the vmspace's back (a steal during a fault, a disconnect driven from the
 * pmap) arrive through the GPT's onInvalidate: inside a change they are folded into it, otherwise
 * they are published at once (without the HOLD dance: the client that faulted is ACTIVE then).
 *
 * Invariants: the generation never decreases; changes never nest; a noted removal is published
 * before any client is released; the published range covers every noted range (their union hull).
 */

import type { Gpa } from '../addr.js';
import { gpa as toGpa } from '../addr.js';
import { assert } from '../checks.js';
import type { EventSink, MmuEvent } from '../events.js';
import type { VmCounters } from './vm-counters.js';

/** What the gate needs from a client (VmClient implements it). */
export interface GatedClient {
  spaceHold(): void;
  spaceRelease(): void;
  spaceInvalidate(gpa: Gpa, len: number, generation: number): void;
}

export class TableGeneration {
  private gen = 1;
  private inChange = false;
  /* Union hull of the ranges noted and not yet published (lo > hi: none). */
  private lo = Infinity;
  private hi = -Infinity;

  constructor(
    /** The vmspace's client list (live: the gate sees clients added and removed). */
    private readonly clients: readonly GatedClient[],
    private readonly counters: VmCounters,
    private readonly sink: EventSink<MmuEvent>,
  ) {}

  get value(): number {
    return this.gen;
  }

  get changing(): boolean {
    return this.inChange;
  }

  /** Run an administrative change with every client on HOLD; publish what it removed. */
  change<T>(body: () => T): T {
    assert(!this.inChange, 'vmspace: an administrative change inside another');
    for (const c of this.clients) c.spaceHold();
    this.inChange = true;
    try {
      return body();
    } finally {
      try {
        this.publish();
      } finally {
        this.inChange = false;
        for (const c of this.clients) c.spaceRelease();
      }
    }
  }

  /** Translations in [gpa, gpa + len) were removed or narrowed. */
  noteRemoved(gpa: number, len: number): void {
    this.lo = Math.min(this.lo, gpa);
    this.hi = Math.max(this.hi, gpa + len);
  }

  /** The GPT's onInvalidate: entries cleared by a steal or a disconnect. */
  tablesInvalidated(gpa: Gpa, len: number): void {
    this.noteRemoved(gpa, len);
    if (!this.inChange) this.publish();
  }

  /* Bump once for everything noted since the last publish, and tell every client. */
  private publish(): void {
    if (this.lo > this.hi) return;
    const gpa = toGpa(this.lo);
    const len = this.hi - this.lo;
    this.lo = Infinity;
    this.hi = -Infinity;
    this.gen++;
    this.counters.generationBumps++;
    this.counters.invalidations++;
    if (this.sink.enabled) {
      this.sink.emit({ type: 'generation', generation: this.gen });
      this.sink.emit({ type: 'invalidate', gpa, len });
    }
    for (const c of this.clients) c.spaceInvalidate(gpa, len, this.gen);
  }
}
