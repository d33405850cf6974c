/*
 * Page holds: a device model or an emulation path holding one guest page (the seed's vm_page).
 *
 * A hold is taken through a client (VmClient.hold) for read and/or write. It names the page (gpa),
 * the host frame behind it (hfn), the rights asked for, and gives the frame's bytes as a view on
 * host RAM (`bytes`, a subarray: no copy, writes land in guest memory at once).
 *
 * Chains. Code that touches several pages (a descriptor spanning a page boundary, a ring) links
 * its holds with chain(next) and gives them all back with releaseChain() on the first. All holds
 * of a chain belong to one client.
 *
 *   head.chain(h2).chain(h3)      head -> h2 -> h3 -> null
 *   head.releaseChain()           releases head, h2, h3 in that order
 *
 * Dirtying. Releasing a write hold marks the page written, as a hardware write would have: the
 * frame's modified attribute is set and, while dirty tracking is on and the page is still in the
 * GPT, its PTE gets Dirty (gpt.markAccessed, which emits 'ad-set'). A hold taken with
 * deferDirty does not do that on release... unless markDirty() was called on it first: markDirty
 * only lifts the deferral, and the marking itself still happens at release (of the hold or of its
 * chain). That way a harvest run between markDirty and release cannot lose a write the holder is
 * still making.
 *
 * Unmapped under a hold. When the vmspace unmaps the region of a held page, the hold takes its own
 * reference on the mapping's object (detach), so the frame behind `bytes` stays the object's and
 * is not given back to the reservoir while the hold lives. Its release then drops that reference
 * (possibly freeing the object) and marks nothing dirty: the page is in no vmspace any more.
 *
 * Invariants: a hold is released exactly once; chain(next) only links an unchained hold to an
 * unreleased hold of the same client; a detached hold references its object until released.
 */

import type { Gpa, Hfn } from '../addr.js';
import { assert } from '../checks.js';
import type { Prot } from '../prot.js';
import { PROT_WRITE } from '../prot.js';
import type { VmClient } from './vm-client.js';
import type { VmObject } from './vm-object.js';

export class PageHold {
  private nextHold: PageHold | null = null;
  private object: VmObject | null = null;
  private released = false;

  /** @internal made by VmClient.hold */
  constructor(
    readonly client: VmClient,
    readonly gpa: Gpa,
    readonly hfn: Hfn,
    readonly prot: Prot,
    /** The held frame's bytes: a view on host RAM. */
    readonly bytes: Uint8Array,
    private deferred: boolean,
  ) {}

  get isReleased(): boolean {
    return this.released;
  }

  /** Releasing this write hold will not mark the page dirty (deferDirty, markDirty not called). */
  get isDeferred(): boolean {
    return this.deferred;
  }

  /** The page's region was unmapped while held (the hold keeps the object alive). */
  get wasUnmapped(): boolean {
    return this.object !== null;
  }

  get next(): PageHold | null {
    return this.nextHold;
  }

  /** Link `next` after this hold; returns `next`, so chains read left to right. */
  chain(next: PageHold): PageHold {
    assert(!this.released && !next.released, 'page hold: chaining a released hold');
    assert(this.nextHold === null, 'page hold: already chained');
    assert(next.client === this.client, 'page hold: a chain must belong to one client');
    assert(next !== this, 'page hold: chaining a hold to itself');
    this.nextHold = next;
    return next;
  }

  /** Lift a deferDirty: the page will be marked dirty when the hold is released. */
  markDirty(): void {
    assert((this.prot & PROT_WRITE) !== 0, 'page hold: markDirty on a hold without write');
    assert(!this.released, 'page hold: markDirty after release');
    this.deferred = false;
  }

  /** Give the page back; true when its region had been unmapped meanwhile. */
  release(): boolean {
    assert(!this.released, 'page hold: released twice');
    this.released = true;
    const writeDirty = (this.prot & PROT_WRITE) !== 0 && !this.deferred;
    return this.client.releaseHold(this, this.object, writeDirty);
  }

  /** Release this hold and every hold chained after it; true when any had been unmapped. */
  releaseChain(): boolean {
    let next = this.nextHold;
    let any = this.release();
    while (next !== null) {
      const after: PageHold | null = next.nextHold;
      if (next.release()) any = true;
      next = after;
    }
    return any;
  }

  /** @internal the region is being unmapped: hold the object ourselves (once). */
  detach(object: VmObject): void {
    if (this.object !== null) return; // unmapped before, through an earlier mapping
    object.reference();
    this.object = object;
  }
}
