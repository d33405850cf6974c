/*
 * Reclaim: taking frames back from guest pages when host memory is overcommitted.
 *
 * Guest memory objects get a frame for a page when the page is first needed (a nested fault).
 * When no frame is free, the reclaimer asks its replacement policy (mmu/host/replacement-policy.ts)
 * for a victim among the resident guest frames and evicts it:
 *
 *   evict(f)   (f holds page p of object o)
 *     dirty?   written since its swap copy was taken: a Dirty bit in a PTE that maps f, the
 *              frame's written attribute (where Dirty goes when such a PTE dies, and where a
 *              harvest or a write hold leaves its mark), no copy in the store yet, or dirty
 *              tracking off (then nothing can be known: every page counts as dirty)
 *     pmap.disconnect(f)       every PTE that maps f, found through f's PV list, is cleared by its
 *                              owner; the GPT reports the range, the vmspace generation moves on
 *     dirty: store.put(o, p)   a swap-out;   clean: nothing written at all, a clean drop
 *     o is told p lost its frame; f's attributes are wiped and f goes back to the allocator
 *     recycled(f)              the emulator flushes its TLB now, before f holds another page
 *
 *     a script policy that answers { victim, writeBack } decides the write itself: a write of a
 *     clean page is a needless swap-out, and a dirty page dropped loses what was written since
 *     its copy (it comes back stale, or as zeros without a copy); `overrides` counts both
 *
 *   pageIn(o, p, f)   a fresh zeroed frame f for page p: the store's copy is read into it if there
 *                     is one (a swap-in: the fault was a major one), and kept, so that while the page
 *                     is not written again its next eviction is a clean drop
 *
 * What the policy sees (FrameState): Accessed is read from the PTEs on f's PV list (decoded by the
 * vmspace's format) and from the frame's referenced attribute; clearing it (clock's first pass)
 * clears Accessed in every such PTE, after copying a Dirty state into the written attribute, and
 * notes the range so that cached translations go (the next access must set Accessed again).
 * A frame may not be chosen while it is pinned (pin/unpin), excluded (the `exclude` predicate:
 * forward progress's frames the current instruction has filled since it last retired) or held by a
 * client (a device is reading or writing its bytes).
 *
 * A shared frame (frame-shares.ts: same-page merging) is its keeper's reclaimer's candidate, aged
 * by this VM's PTEs only. Chosen (only when every user can be swapped out and no client of any VM
 * holds it, `heldElsewhere`), it goes as a whole (evictShared): pmap.disconnect clears every PTE
 * that maps it, in every VM, through its PV list (every vmspace's generation moves), every page
 * that uses it keeps its own swap copy (keepCopy) and loses it; a later touch swaps the copy in.
 *
 * Invariants (checkInvariants): the policy's members are exactly the frames with an owner here;
 * each such frame is allocated; a swapped-out page has a copy in the store and no frame; the
 * counters add up (evictions = swapOuts + cleanDrops).
 */

import type { Gpa, Hfn } from '../addr.js';
import { PAGE_SIZE, gpa as toGpa } from '../addr.js';
import { assert } from '../checks.js';
import type { EventSink, MmuEvent } from '../events.js';
import { nullSink } from '../events.js';
import { ATTR_ALL, ATTR_WRITTEN } from '../host/page-attributes.js';
import type { FrameState, ReplacementPolicy } from '../host/replacement-policy.js';
import { SwapStore } from '../host/swap-store.js';
import { clearFrameAccessed, dirtyInPtes, emptySpan, frameAccessed } from './frame-age.js';
import type { FrameShares } from './frame-shares.js';
import type { Vmspace } from './vmspace.js';

/** Where an evicted page's frame goes back to (the reservoir), free for the page that needs it. */
export interface FrameSink {
  give(f: Hfn): void;
}

/** What an object must do when one of its pages loses its frame. */
export interface PagedObject {
  readonly name: string;
  readonly pages: number;
  /** The object the vmspace maps, when this is a stand-in for it (where its pages are: gpaOf). */
  readonly source?: unknown;
  /** Page `page` no longer has a frame (its content is in the store, or clean there). */
  pageEvicted(page: number): void;
}

export interface ReclaimCounters {
  evictions: number;
  swapOuts: number;
  swapIns: number;
  cleanDrops: number;
}

/** One recent victim, for the TUI's Frames pane. */
export interface Victim {
  hfn: number;
  gpa: number;
  object: string;
  page: number;
  dirty: boolean;
}

/** Times a policy's own write-back word went against the Dirty state (script policies only). */
export interface WriteBackOverrides {
  /** A clean page written to the store all the same. */
  cleanWriteBacks: number;
  /** A dirty page dropped without its write: its content since its copy is lost. */
  dirtyDrops: number;
}

export interface ReclaimerOptions {
  readonly space: Vmspace;
  readonly policy: ReplacementPolicy;
  readonly source: FrameSink;
  readonly sink?: EventSink<MmuEvent>;
  readonly store?: SwapStore;
  /** The host's book of shared frames (same-page merging). */
  readonly shares?: FrameShares;
  /** Whether a client of another VM holds f (a shared frame can be held there). */
  readonly heldElsewhere?: (f: Hfn) => boolean;
}

const NO_OBJECT = -1;
const RECENT_VICTIMS = 8;

export class Reclaimer {
  readonly store: SwapStore;
  readonly policy: ReplacementPolicy;
  readonly counters: ReclaimCounters = { evictions: 0, swapOuts: 0, swapIns: 0, cleanDrops: 0 };
  readonly overrides: WriteBackOverrides = { cleanWriteBacks: 0, dirtyDrops: 0 };
  /**
   * Frames that may not be evicted now besides the pinned ones: forward progress plugs its set of
   * the frames the current instruction has filled since it last retired in here (`has`).
   */
  exclude: ((f: Hfn) => boolean) | null = null;
  /** Called after a victim is disconnected, before its frame is used again (TLB flush). */
  recycled: ((f: Hfn) => void) | null = null;
  private readonly space: Vmspace;
  private readonly source: FrameSink;
  private readonly sink: EventSink<MmuEvent>;
  private readonly shares: FrameShares | null;
  private readonly heldElsewhere: (f: Hfn) => boolean;
  private readonly objects: (PagedObject | undefined)[] = [];
  /* per object: 1 where the page is swapped out (content in the store, no frame) */
  private readonly swapped: (Uint8Array | undefined)[] = [];
  /* frame -> (object id, page) while the frame holds a guest page */
  private readonly ownerObj: Int32Array;
  private readonly ownerPage: Uint32Array;
  private readonly pinned: Uint8Array;
  private readonly victims: Victim[] = [];
  private held: Set<number> | null = null;
  readonly state: FrameState;

  constructor(opts: ReclaimerOptions) {
    this.space = opts.space;
    this.policy = opts.policy;
    this.source = opts.source;
    this.sink = opts.sink ?? nullSink;
    this.store = opts.store ?? new SwapStore();
    this.store.attach(opts.space.pmap); // a harvest sets written attributes while copies exist
    this.shares = opts.shares ?? null;
    this.heldElsewhere = opts.heldElsewhere ?? (() => false);
    const n = opts.space.mem.frameCount;
    this.ownerObj = new Int32Array(n).fill(NO_OBJECT);
    this.ownerPage = new Uint32Array(n);
    this.pinned = new Uint8Array(n);
    this.state = {
      eligible: (f) =>
        this.pinned[f] === 0 && !(this.exclude?.(f) ?? false) && !this.isHeld(f) && this.sharedMayGo(f),
      accessed: (f) => frameAccessed(this.space, f),
      clearAccessed: (f) => clearFrameAccessed(this.space, f, this.cleared),
      dirty: (f) => this.dirty(f),
      describe: (f) => {
        const o = this.ownerObj[f];
        return {
          gpa: this.gpaOf(o, this.ownerPage[f]),
          object: this.objects[o]!.name,
          page: this.ownerPage[f],
        };
      },
    };
  }

  /* ---- objects ---- */

  register(obj: PagedObject): number {
    const id = this.objects.length;
    this.objects.push(obj);
    this.swapped.push(new Uint8Array(obj.pages));
    return id;
  }

  /** The object is gone: its copies leave the store (its frames were forgotten one by one). */
  unregister(id: number): void {
    this.store.dropObject(id);
    this.objects[id] = undefined;
    this.swapped[id] = undefined;
  }

  isSwapped(id: number, page: number): boolean {
    return this.swapped[id]?.[page] === 1;
  }

  /** The content of a swapped-out page, in place in the store (a view; null when not swapped out). */
  swappedContent(id: number, page: number): Uint8Array | null {
    return this.isSwapped(id, page) ? this.store.peek(id, page) : null;
  }

  /** Pages of the object now swapped out, as a bitmap (1 byte per page; a view, do not keep). */
  swappedPages(id: number): Uint8Array {
    return this.swapped[id] ?? new Uint8Array(0);
  }

  /* ---- frames ---- */

  get framesInUse(): number {
    return this.policy.members.count;
  }

  /**
   * Free one frame for whoever needs one: the policy picks a victim and it is evicted (its frame
   * goes back to the source). False when no resident frame may go now.
   */
  evictOne(): boolean {
    const p = this.policy;
    const d = p.decide === undefined ? { victim: p.choose(this.state) } : p.decide(this.state);
    this.publishAccessedClears();
    if (d.victim === -1) return false;
    this.evict(d.victim, d.writeBack);
    return true;
  }

  /** A frame for page `page` of object `id` from `take`, evicting while it has none; -1 if none can go. */
  frameFor(id: number, page: number, take: () => Hfn | -1): Hfn | -1 {
    let f = take();
    while (f === -1 && this.evictOne()) f = take();
    if (f !== -1) this.pageIn(id, page, f);
    return f;
  }

  /**
   * Page `page` of object `id` has just got the fresh, zeroed frame f: fill it from the store if
   * the page was swapped out (a swap-in, the copy kept), and make it a candidate.
   */
  pageIn(id: number, page: number, f: Hfn): void {
    assert(this.ownerObj[f] === NO_OBJECT, 'reclaim: the frame already holds a page');
    const mem = this.space.mem;
    this.space.pmap.clearAttributes(f, ATTR_ALL);
    if (this.swapped[id]![page] === 1) {
      assert(this.store.get(id, page, mem.frameBytes(f)), 'reclaim: a swapped-out page has no copy');
      this.swapped[id]![page] = 0;
      this.counters.swapIns++;
      if (this.sink.enabled)
        this.sink.emit({
          type: 'swap-in',
          hfn: f,
          object: this.objects[id]!.name,
          page,
          gpa: this.gpaOf(id, page),
        });
    } else this.store.drop(id, page); // a page made afresh has no copy that could be true
    this.ownerObj[f] = id;
    this.ownerPage[f] = page;
    this.policy.admit(f);
  }

  /** The object gave frame f back itself (it was freed): no longer a candidate. */
  forget(f: Hfn): void {
    assert(this.ownerObj[f] !== NO_OBJECT, 'reclaim: forgetting a frame that holds no page');
    this.ownerObj[f] = NO_OBJECT;
    this.pinned[f] = 0;
    this.policy.forget(f);
  }

  /** Page `page` of object `id` is swapped out as `bytes` (its shared frame went: evictShared). */
  keepCopy(id: number, page: number, bytes: Uint8Array): void {
    this.store.put(id, page, bytes);
    this.swapped[id]![page] = 1;
  }

  /** Page `page` of object `id` uses frame f (a shared frame whose keeper left): a candidate now. */
  adopt(id: number, page: number, f: Hfn): void {
    assert(this.ownerObj[f] === NO_OBJECT, 'reclaim: adopting a frame that holds a page here');
    this.ownerObj[f] = id;
    this.ownerPage[f] = page;
    this.policy.admit(f);
  }

  /** Keep f from being chosen until unpin (forward progress: the current instruction needs it). */
  pin(f: Hfn): void {
    this.pinned[f] = 1;
  }

  unpin(f: Hfn): void {
    this.pinned[f] = 0;
  }

  isPinned(f: Hfn): boolean {
    return this.pinned[f] === 1;
  }

  /** The last few victims, newest last. */
  recentVictims(): readonly Victim[] {
    return this.victims;
  }

  /* ---- eviction ---- */

  /**
   * Take frame f from its page: disconnect it, keep its content if needed (or as `writeBack`, a
   * policy's own word, says), give it back.
   */
  evict(f: Hfn, writeBack?: boolean): void {
    const id = this.ownerObj[f];
    assert(id !== NO_OBJECT, 'reclaim: evicting a frame that holds no page');
    if (this.shares?.isShared(f)) return this.evictShared(f);
    const page = this.ownerPage[f];
    const obj = this.objects[id]!;
    const gpa = this.gpaOf(id, page);
    this.space.pmap.disconnect(f); // the GPT reports what it cleared: the generation moves on
    const dirty = this.dirty(f);
    if (writeBack ?? dirty) {
      this.store.put(id, page, this.space.mem.frameBytes(f));
      this.counters.swapOuts++;
      if (!dirty) this.overrides.cleanWriteBacks++;
      if (this.sink.enabled) this.sink.emit({ type: 'swap-out', hfn: f, object: obj.name, page, gpa });
    } else {
      this.counters.cleanDrops++;
      if (dirty) this.overrides.dirtyDrops++;
    }
    this.counters.evictions++;
    // a page dropped with no copy at all (only a policy's wrong word does that) comes back as zeros
    this.swapped[id]![page] = this.store.has(id, page) ? 1 : 0;
    this.forget(f);
    obj.pageEvicted(page);
    this.space.pmap.clearAttributes(f, ATTR_ALL);
    this.recycled?.(f);
    this.source.give(f);
    this.remember({ hfn: f, gpa, object: obj.name, page, dirty });
    if (this.sink.enabled)
      this.sink.emit({ type: 'evict', hfn: f, object: obj.name, page, gpa, dirty, policy: this.policy.name });
  }

  /* A shared frame goes as a whole (see the essay); its content is always kept. */
  private evictShared(f: Hfn): void {
    const page = this.ownerPage[f];
    const obj = this.objects[this.ownerObj[f]]!;
    const gpa = this.gpaOf(this.ownerObj[f], page);
    const ptes = this.space.pmap.disconnect(f);
    this.forget(f);
    const users = this.shares!.evict(f, this.space.mem.frameBytes(f));
    this.counters.evictions++;
    this.counters.swapOuts++;
    this.space.pmap.clearAttributes(f, ATTR_ALL);
    this.recycled?.(f);
    this.source.give(f);
    this.remember({ hfn: f, gpa, object: obj.name, page, dirty: true });
    if (this.sink.enabled) {
      const vms = users.map((u) => u.owner.vm);
      this.sink.emit({
        type: 'evict-shared',
        vm: this.space.vmId,
        hfn: f,
        gpa,
        pages: users.length,
        ptes,
        vms,
      });
    }
  }

  /* A frame that is not shared, or a shared one every user can give up and nobody holds. */
  private sharedMayGo(f: Hfn): boolean {
    const s = this.shares;
    return s === null || !s.isShared(f) || (s.evictable(f) && !this.heldElsewhere(f));
  }

  private remember(v: Victim): void {
    this.victims.push(v);
    if (this.victims.length > RECENT_VICTIMS) this.victims.shift();
  }

  /* ---- Accessed and Dirty, read through the PV list (frame-age.ts) ---- */

  private dirty(f: Hfn): boolean {
    const id = this.ownerObj[f];
    if (!this.space.dirtyTracking || !this.store.has(id, this.ownerPage[f])) return true;
    if ((this.space.pmap.attributes(f) & ATTR_WRITTEN) !== 0) return true;
    return dirtyInPtes(this.space, f);
  }

  /* Clock's first pass: Accessed off in every PTE of ours mapping f (a Dirty state saved first). */
  private readonly cleared = emptySpan();
  /* Cached translations of the pages whose Accessed was cleared must go: one generation step. */
  private publishAccessedClears(): void {
    this.held = null;
    const c = this.cleared;
    if (c.lo > c.hi) return;
    const g = toGpa(c.lo);
    const len = c.hi - c.lo;
    c.lo = Infinity;
    c.hi = -Infinity;
    this.space.gpt.onInvalidate?.(g, len);
  }

  private isHeld(f: Hfn): boolean {
    if (this.held === null) {
      this.held = new Set();
      for (const c of this.space.clients()) for (const h of c.holds()) this.held.add(h.hfn);
    }
    return this.held.has(f);
  }

  /* Where page `page` of object `id` is mapped (the first mapping that covers it), or -1. */
  private gpaOf(id: number, page: number): Gpa | -1 {
    const obj = this.objects[id]?.source ?? this.objects[id];
    const off = page * PAGE_SIZE;
    for (const m of this.space.mappings())
      if ((m.object as unknown) === obj && off >= m.offset && off < m.offset + m.len)
        return toGpa(m.gpa + off - m.offset);
    return -1;
  }

  /** Full sweep (see the essay). */
  checkInvariants(): void {
    const members = this.policy.members;
    members.checkInvariants();
    let owned = 0;
    for (let f = 0; f < this.ownerObj.length; f++) {
      if (this.ownerObj[f] === NO_OBJECT) continue;
      owned++;
      assert(members.has(f as Hfn), 'reclaim: a frame holding a page is not a candidate');
      assert(
        this.swapped[this.ownerObj[f]]![this.ownerPage[f]] === 0,
        'reclaim: a resident page is marked swapped',
      );
    }
    assert(owned === members.count, 'reclaim: a candidate holds no page');
    this.swapped.forEach((bits, id) => {
      if (bits === undefined) return;
      for (let p = 0; p < bits.length; p++)
        if (bits[p] === 1) assert(this.store.has(id, p), 'reclaim: a swapped-out page has no copy');
    });
    const c = this.counters;
    assert(
      c.evictions === c.swapOuts + c.cleanDrops,
      'reclaim: evictions are not swap-outs plus clean drops',
    );
    this.store.checkInvariants();
  }
}
