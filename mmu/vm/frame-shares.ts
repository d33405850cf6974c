/*
 * Shared frames: the book of host frames that several guest pages use at once after same-page
 * merging (merge-scan.ts), like the stable pages of Linux KSM.
 *
 * A memory object's page normally owns its frame (vm-object.ts). A merged page does not: its frame
 * belongs to this book, which counts the pages that use it. Every nested leaf that maps a shared
 * frame withholds write, in every vmspace, so a guest write to it is a nested write fault and the
 * vmspace breaks the share (vmspace-merge.ts, sharedAccess): a fresh frame, a copy, a remap with full
 * rights, and the page leaves the book. The last page to leave gives the frame back to the
 * reservoir.
 *
 *   sharers[f]   0        f is not shared (an ordinary frame, or free)
 *                n >= 1   n object pages use f; every leaf mapping f is read-only
 *
 *   join(f)    a page starts using f           (merge: the keeper's own frame, or a duplicate's target)
 *   leave(f)   a page stops using f            (a write broke the share, or the object was freed);
 *              at 0 the frame goes back to the reservoir
 *
 * The book also lists who uses each shared frame (users[f]: object page by object page, the keeper
 * first), because not every such page has a PTE now: a page merged while unmapped uses the frame
 * without appearing on its PV list. The keeper is the frame's one reclaim candidate (its pager
 * keeps it from before the merge); the pages that join forget their own frames. When the keeper
 * leaves, the next user adopts the candidacy (candidate(page, f, true)), so a shared frame stays
 * evictable for as long as it is shared.
 *
 *   evict(f, bytes)  reclaim chose f (reclaim.ts): the caller has disconnected every PTE of f in
 *                    every VM through the PV list; each user keeps `bytes` as its swap copy and
 *                    loses the frame (a later touch swaps its own copy in: the share is undone),
 *                    and f leaves the book. The caller gives f back.
 *
 * A disconnect alone (pmap.disconnect, the TUI's) reaches every PTE too, but the pages keep the
 * frame and fault it back in read-only.
 *
 * Counters (the `merge` key of `run --json`): shared = frames in the book now; sharing = pages
 * using them; saved = sharing - shared (frames the merges give back, net); merges and cowBreaks
 * count since the start. Invariants (checkInvariants): shared and sharing agree with sharers[], and
 * users[f] lists exactly sharers[f] pages.
 */
import type { Hfn } from '../addr.js';
import { assert } from '../checks.js';
import type { Reservoir } from '../host/reservoir.js';

export interface MergeCounters {
  /** Frames shared now. */
  shared: number;
  /** Guest pages that use a shared frame now. */
  sharing: number;
  /** Pages that joined a shared frame, since the start (a keeper counts too). */
  merges: number;
  /** Guest writes that broke a share (a nested write fault on a merged page), since the start. */
  cowBreaks: number;
}

/** An object's side of a page that uses a shared frame (vm-object.ts implements it). */
export interface SharedPageOwner {
  readonly name: string;
  /** The VM whose guest memory the object is (its vmspace's vmId). */
  readonly vm: number;
  /** Whether the object's pages can be swapped out (it has a pager). */
  pageable(): boolean;
  /** The page's share is evicted: keep `bytes` as its swap copy, forget the frame. */
  sharedEvicted(page: number, bytes: Uint8Array): void;
  /** f becomes (true) or stops being (false) the page's reclaim candidate. */
  candidate(page: number, f: Hfn, on: boolean): void;
}

/** One page that uses a shared frame. */
export interface SharedUser {
  readonly owner: SharedPageOwner;
  readonly page: number;
}

export class FrameShares {
  readonly sharers: Uint32Array;
  private readonly users = new Map<number, SharedUser[]>();
  readonly counters: MergeCounters = { shared: 0, sharing: 0, merges: 0, cowBreaks: 0 };

  constructor(
    frameCount: number,
    private readonly reservoir: Reservoir,
  ) {
    this.sharers = new Uint32Array(frameCount);
  }

  isShared(f: Hfn | -1): boolean {
    return f >= 0 && this.sharers[f] > 0;
  }

  /** Frames given back by the merges, net: pages sharing minus frames shared. */
  get framesSaved(): number {
    return this.counters.sharing - this.counters.shared;
  }

  /** One more page uses f (the first is the keeper: f is its own frame and its candidate). */
  join(f: Hfn, user: SharedUser): void {
    if (this.sharers[f]++ === 0) {
      this.counters.shared++;
      this.users.set(f, []);
    }
    this.users.get(f)!.push(user);
    this.counters.sharing++;
    this.counters.merges++;
  }

  /** The pages that use f now, keeper first (empty when f is not shared). */
  usersOf(f: Hfn): readonly SharedUser[] {
    return this.users.get(f) ?? [];
  }

  /**
   * One page fewer uses f; the last one gives f back to the reservoir (true then). A leaving
   * keeper drops its candidacy and the next user adopts it.
   */
  leave(f: Hfn, owner: SharedPageOwner, page: number): boolean {
    assert(this.sharers[f] > 0, 'frame shares: leaving a frame that is not shared');
    const list = this.users.get(f)!;
    const i = list.findIndex((u) => u.owner === owner && u.page === page);
    assert(i >= 0, 'frame shares: the page does not use this frame');
    list.splice(i, 1);
    if (i === 0) {
      owner.candidate(page, f, false);
      if (list.length > 0) list[0].owner.candidate(list[0].page, f, true);
    }
    this.counters.sharing--;
    if (--this.sharers[f] > 0) return false;
    this.users.delete(f);
    this.counters.shared--;
    this.reservoir.give(f);
    return true;
  }

  /** Whether reclaim may evict f: every user can be swapped out. */
  evictable(f: Hfn): boolean {
    return this.usersOf(f).every((u) => u.owner.pageable());
  }

  /**
   * Reclaim evicts shared frame f (see the essay): every user keeps `bytes` and loses f, and f
   * leaves the book without going back to the reservoir (the caller gives it). Returns the users.
   */
  evict(f: Hfn, bytes: Uint8Array): readonly SharedUser[] {
    const list = this.users.get(f);
    assert(list !== undefined && this.evictable(f), 'frame shares: evicting a frame that cannot go');
    for (const u of list) u.owner.sharedEvicted(u.page, bytes);
    this.users.delete(f);
    this.counters.sharing -= list.length;
    this.counters.shared--;
    this.sharers[f] = 0;
    return list;
  }

  /** Full sweep: the counters agree with the per-frame counts. */
  checkInvariants(): void {
    let shared = 0;
    let sharing = 0;
    for (let f = 0; f < this.sharers.length; f++) {
      if (this.sharers[f] === 0) continue;
      shared++;
      sharing += this.sharers[f];
      assert(this.users.get(f)?.length === this.sharers[f], `frame shares: frame ${f}'s users are off`);
      assert(this.reservoir.isInUse(f as Hfn), `frame shares: shared frame ${f} is not in use`);
    }
    assert(shared === this.counters.shared, 'frame shares: shared count is off');
    assert(sharing === this.counters.sharing, 'frame shares: sharing count is off');
  }
}
