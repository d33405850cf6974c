/*
 * The table pool: host frames for page tables, with a reserve, a cache and stealing (htable).
 *
 * A frame the pool has taken from the allocator is in exactly one of three places:
 *
 *   in use    holds a live table (its pmap descriptor is set); listed in `used` (dense, O(1) remove)
 *   cached    a freed table's frame, kept for the next alloc without a trip to the allocator
 *   reserve   frames set aside up front (opts.reserve, default 4) for when the allocator is dry
 *
 *   alloc:  cache ─► allocator (then top the reserve up) ─► reserve ─► steal ─► -1 (exhausted)
 *   free:   clear the descriptor; to the reserve if it is below target, else to the cache
 *   reap:   cached frames and reserve above target go back to the allocator
 *
 * Stealing, as the seed does it, in passes. Pass 0 takes a cached frame. Pass p = 1..P (P =
 * opts.stealPasses, default 8) looks for an in-use leaf table (level 1) that is not pinned and
 * whose owner reports validCount(t) <= p * 512 / P; the threshold rises each pass, so sparse tables
 * go first and, at the last pass, any leaf table will do. Interior tables are never stolen. The
 * victim's owner unmaps its leaves (PV removed, events emitted by the pmap) and unlinks it
 * (stealLeafTable); the pool then checks the frame holds nothing, clears its descriptor (whatever
 * the refcount) and reuses it. The scan starts where the previous steal stopped, to spread the pain.
 *
 * What the vCPU's instruction in flight has filled is busy (opts.inFlight, a PinnedSinceRetire):
 * no steal takes a leaf table it holds. One instruction can need the leaf tables of its code
 * page, its data pages and its guest-table pages at once, and a steal that clears a valid entry
 * kicks the vCPU and makes the instruction run again; stealing one of its own tables would make
 * it fault that table back in, steal again, and never retire (measured before the rule: 400,000
 * steals and no progress). With them left alone each rerun finds what it filled still mapped, so
 * it completes; when no other leaf table exists, alloc returns -1 (exhaustion, a clear guest stop)
 * instead of spinning.
 *
 * Constructing a pool also registers the pmap's "frame unused" check with the allocator, so freeing
 * a frame that is still mapped or still a table throws.
 *
 * Invariants (checkInvariants): inUse + cached + reserve = frames the pool holds; every in-use frame
 * is a pmap table, and no cached or reserve frame is; cached and reserve frames are zero; a pinned
 * frame is in use; no steal takes a pinned table or one the instruction in flight holds.
 * Exhaustion is a value (-1), never an exception.
 */

import { PAGE_SIZE } from '../addr.js';
import type { Gpa, Hfn } from '../addr.js';
import { assert } from '../checks.js';
import type { EventSink, MmuEvent } from '../events.js';
import { nullSink } from '../events.js';
import type { FrameAllocator } from './frame-allocator.js';
import { PTES_PER_FRAME } from './installed-entries.js';
import type { PinnedSinceRetire } from './pinned-since-retire.js';
import type { Pmap } from './pmap.js';

export interface TablePoolOptions {
  reserve?: number;
  stealPasses?: number;
  /** The frames the vCPU's instruction in flight has filled: never stolen (see the essay). */
  inFlight?: PinnedSinceRetire;
  sink?: EventSink<MmuEvent>;
}

export interface TablePoolStats {
  inUse: number;
  cached: number;
  reserve: number;
  reserveTarget: number;
  stolen: number;
  stealFailures: number;
  reaped: number;
}

const NOT_HELD = 0;
const IN_USE = 1;
const CACHED = 2;
const RESERVE = 3;

export const STEALABLE_LEVEL = 1;

export class TablePool {
  readonly reserveTarget: number;
  readonly stealPasses: number;
  private readonly sink: EventSink<MmuEvent>;
  private readonly where: Uint8Array;
  private readonly pinned: Uint8Array;
  private readonly inFlight: PinnedSinceRetire | null;
  private readonly used: Uint32Array;
  private readonly usedPos: Uint32Array;
  private usedCount = 0;
  private readonly cache: Uint32Array;
  private cacheCount = 0;
  private readonly spare: Uint32Array;
  private spareCount = 0;
  private cursor = 0;
  private stolen = 0;
  private stealFailures = 0;
  private reaped = 0;

  constructor(
    readonly frames: FrameAllocator,
    readonly pmap: Pmap,
    opts: TablePoolOptions = {},
  ) {
    const n = frames.totalCount;
    this.reserveTarget = opts.reserve ?? 4;
    this.stealPasses = Math.min(Math.max(opts.stealPasses ?? 8, 1), PTES_PER_FRAME);
    this.sink = opts.sink ?? nullSink;
    this.where = new Uint8Array(n);
    this.pinned = new Uint8Array(n);
    this.inFlight = opts.inFlight ?? null;
    this.used = new Uint32Array(n);
    this.usedPos = new Uint32Array(n);
    this.cache = new Uint32Array(n);
    this.spare = new Uint32Array(n);
    frames.setFreeCheck((f) => pmap.checkFrameUnused(f));
    this.topUpReserve();
  }

  /** A zeroed table frame with its descriptor set, or -1 when nothing can be found or stolen. */
  alloc(ownerId: number, level: number, base: Gpa): Hfn | -1 {
    const t = this.take();
    if (t === -1) return -1;
    this.pmap.setDescriptor(t, ownerId, level, base);
    this.where[t] = IN_USE;
    this.usedPos[t] = this.usedCount;
    this.used[this.usedCount++] = t;
    return t;
  }

  free(table: Hfn): void {
    assert(this.where[table] === IN_USE, 'table pool: freeing a frame that is not an in-use table');
    this.pmap.clearDescriptor(table);
    this.dropUsed(table);
    this.stash(table);
  }

  /** Keep t from being stolen until unpin (the seed's busy count; pins do not nest). */
  pin(table: Hfn): void {
    assert(this.where[table] === IN_USE, 'table pool: pinning a frame that is not in use');
    this.pinned[table] = 1;
  }

  unpin(table: Hfn): void {
    this.pinned[table] = 0;
  }

  isInUse(table: Hfn): boolean {
    return this.where[table] === IN_USE;
  }

  /**
   * Make one frame free in the pool, leaving it on the cache: a cached frame if there is one,
   * else a stolen leaf table. Returns the frame, or -1 when there is nothing to steal.
   */
  steal(): Hfn | -1 {
    if (this.cacheCount > 0) return this.cache[this.cacheCount - 1] as Hfn;
    for (let pass = 1; pass <= this.stealPasses; pass++) {
      const threshold = Math.floor((pass * PTES_PER_FRAME) / this.stealPasses);
      const victim = this.findVictim(threshold);
      if (victim !== -1) {
        this.stealTable(victim);
        return victim;
      }
    }
    this.stealFailures++;
    return -1;
  }

  /** Return cached frames and any reserve above target to the allocator; how many went back. */
  reap(): number {
    let freed = 0;
    while (this.cacheCount > 0) {
      const f = this.cache[--this.cacheCount] as Hfn;
      this.where[f] = NOT_HELD;
      this.frames.free(f);
      freed++;
    }
    while (this.spareCount > this.reserveTarget) {
      const f = this.spare[--this.spareCount] as Hfn;
      this.where[f] = NOT_HELD;
      this.frames.free(f);
      freed++;
    }
    this.reaped += freed;
    if (this.sink.enabled) this.sink.emit({ type: 'table-reap', freed });
    return freed;
  }

  get stats(): TablePoolStats {
    return {
      inUse: this.usedCount,
      cached: this.cacheCount,
      reserve: this.spareCount,
      reserveTarget: this.reserveTarget,
      stolen: this.stolen,
      stealFailures: this.stealFailures,
      reaped: this.reaped,
    };
  }

  /** Frames the pool holds in any state. */
  get heldCount(): number {
    return this.usedCount + this.cacheCount + this.spareCount;
  }

  /* ---- internals ---- */

  private take(): Hfn | -1 {
    if (this.cacheCount > 0) return this.popCache();
    const f = this.frames.alloc('table');
    if (f !== -1) {
      this.topUpReserve();
      return f;
    }
    if (this.spareCount > 0) {
      const s = this.spare[--this.spareCount] as Hfn;
      this.where[s] = NOT_HELD;
      this.frames.mem.zeroFrame(s);
      return s;
    }
    if (this.steal() === -1) return -1;
    return this.popCache();
  }

  private popCache(): Hfn {
    const f = this.cache[--this.cacheCount] as Hfn;
    this.where[f] = NOT_HELD;
    this.frames.mem.zeroFrame(f);
    return f;
  }

  private stash(f: Hfn): void {
    if (this.spareCount < this.reserveTarget) {
      this.where[f] = RESERVE;
      this.spare[this.spareCount++] = f;
    } else {
      this.where[f] = CACHED;
      this.cache[this.cacheCount++] = f;
    }
  }

  private topUpReserve(): void {
    while (this.spareCount < this.reserveTarget) {
      const f = this.frames.alloc('table');
      if (f === -1) return;
      this.where[f] = RESERVE;
      this.spare[this.spareCount++] = f;
    }
  }

  private dropUsed(t: Hfn): void {
    const i = this.usedPos[t];
    const last = this.used[--this.usedCount];
    this.used[i] = last;
    this.usedPos[last] = i;
    this.pinned[t] = 0;
  }

  /** Whether t may not be stolen now: pinned, or held by the vCPU's instruction in flight. */
  isBusy(t: Hfn): boolean {
    return this.pinned[t] === 1 || (this.inFlight !== null && this.inFlight.has(t));
  }

  /* First leaf table that is not busy and at or under the threshold, from the cursor. */
  private findVictim(threshold: number): Hfn | -1 {
    const n = this.usedCount;
    for (let k = 0; k < n; k++) {
      const i = (this.cursor + k) % n;
      const t = this.used[i] as Hfn;
      if (this.isBusy(t) || this.pmap.descLevel(t) !== STEALABLE_LEVEL) continue;
      const owner = this.pmap.owner(this.pmap.descOwner(t));
      if (owner.validCount(t) <= threshold) {
        this.cursor = i + 1;
        return t;
      }
    }
    return -1;
  }

  private stealTable(t: Hfn): void {
    const level = this.pmap.descLevel(t);
    const base = this.pmap.descBase(t);
    const owner = this.pmap.owner(this.pmap.descOwner(t));
    const cleared = owner.stealLeafTable(t);
    assert(this.where[t] === IN_USE, 'table pool: owner freed the table it was asked to give up');
    assert(this.pmap.leafCount(t) === 0, 'table pool: stolen table still holds leaves');
    assert(this.pmap.pointerCount(t) === 0, 'table pool: stolen table still holds pointers');
    this.pmap.releaseDescriptor(t, true);
    this.dropUsed(t);
    this.where[t] = CACHED;
    this.cache[this.cacheCount++] = t;
    this.stolen++;
    if (this.sink.enabled) this.sink.emit({ type: 'table-steal', hfn: t, level, base, cleared });
  }

  /** Full sweep of the pool's own books (the pmap checks the tables themselves). */
  checkInvariants(): void {
    const mem = this.frames.mem;
    let inUse = 0;
    let cached = 0;
    let spare = 0;
    for (let f = 0 as Hfn; f < this.frames.totalCount; f++) {
      const w = this.where[f];
      if (w === NOT_HELD) {
        assert(!this.pinned[f], `table pool: frame ${f} pinned but not held`);
        continue;
      }
      assert(
        this.frames.purpose(f) === 'table',
        `table pool: held frame ${f} is not an allocated table frame`,
      );
      if (w === IN_USE) {
        inUse++;
        assert(this.pmap.isTable(f), `table pool: in-use frame ${f} has no descriptor`);
        assert(this.used[this.usedPos[f]] === f, `table pool: in-use list lost frame ${f}`);
      } else {
        assert(!this.pmap.isTable(f), `table pool: free frame ${f} still has a descriptor`);
        assert(!this.pinned[f], `table pool: free frame ${f} is pinned`);
        if (w === CACHED) cached++;
        else spare++;
        const w0 = (f * PAGE_SIZE) >>> 2;
        for (let i = 0; i < PAGE_SIZE >>> 2; i++)
          assert(mem.u32[w0 + i] === 0, `table pool: free frame ${f} is not zero`);
      }
    }
    assert(inUse === this.usedCount, 'table pool: in-use count');
    assert(cached === this.cacheCount, 'table pool: cached count');
    assert(spare === this.spareCount, 'table pool: reserve count');
  }
}
