/*
 * The reservoir: host frames set aside for guest memory, handed out one page at a time.
 *
 * A guest memory object (mmu/vm/vm-object.ts) reserves its size when it is made: reserve(n) takes
 * n frames from the allocator in one step (setAside: no zeroing, no event per frame) and keeps
 * them free here. Nothing is given to a page yet. The object asks for a frame with take() the
 * first time one of its pages is needed (the first nested fault on it, or the loader writing it),
 * and take() zeroes that frame just then (demand-zero). A freed object gives its frames back with
 * give() and ends its reservation with release(n), which returns n free frames to the allocator.
 *
 *   allocator ──reserve(n)──► free stack ──take(hint)──► a page of an object ──give(f)──► free stack
 *             ◄─release(n)──                (zeroed here, one frame-alloc event)
 *
 * Which free frame take() hands out is the host layout:
 *   scattered  (default) the free stack is kept in a seeded random order: each frame set aside is
 *              put at a random depth, so the frame a page gets has nothing to do with its guest
 *              address, and the same seed and the same requests give the same frames.
 *   identity   take(hint) gives the frame `hint` when it is free here (the object passes the frame
 *              set aside for that page, in allocator order, so on a fresh allocator guest page i
 *              sits in host frame i); otherwise the lowest-first order of the stack.
 *
 *   stack [ f f f ... f ]  top = freeCount     pos[f] = index of f in stack, -1 when not there
 *   state[f]  0 not ours   1 free here   2 handed out to a page
 *
 * Invariants (checkInvariants):
 *  - a frame is on the stack exactly when state[f] = 1, and pos[] agrees with the stack;
 *  - held = free + inUse, and held = reservedCount (every reserved page can get a frame);
 *  - reserve either sets aside all n frames or none: too few gives { kind: 'exhausted' }, a value;
 *  - an optional limit caps reservedCount (the reservoir size a host admin would configure);
 *  - give() takes only a frame handed out here, release() only frames free here (else it throws).
 */

import type { Hfn } from '../addr.js';
import { assert } from '../checks.js';
import type { EventSink, MmuEvent } from '../events.js';
import { nullSink } from '../events.js';
import { SeededRandom } from '../seeded-random.js';
import type { FrameAllocator } from './frame-allocator.js';

export type HostLayout = 'scattered' | 'identity';
export const HOST_LAYOUTS: readonly HostLayout[] = ['scattered', 'identity'];
export const DEFAULT_LAYOUT_SEED = 1;

export type Reservation =
  { kind: 'ok'; frames: Uint32Array } | { kind: 'exhausted'; wanted: number; free: number };

export interface ReservoirOptions {
  limit?: number;
  layout?: HostLayout;
  seed?: number;
}

const NOT_OURS = 0;
const FREE = 1;
const IN_USE = 2;

export class Reservoir {
  readonly limit: number;
  readonly layout: HostLayout;
  readonly seed: number;
  private reserved = 0;
  private used = 0;
  private top = 0;
  private readonly stack: Uint32Array;
  private readonly pos: Int32Array;
  private readonly state: Uint8Array;
  private readonly rng: SeededRandom;

  constructor(
    readonly frames: FrameAllocator,
    readonly sink: EventSink<MmuEvent> = nullSink,
    opts: ReservoirOptions = {},
  ) {
    this.limit = opts.limit ?? frames.totalCount;
    this.layout = opts.layout ?? 'scattered';
    this.seed = opts.seed ?? DEFAULT_LAYOUT_SEED;
    this.rng = new SeededRandom(this.seed);
    this.stack = new Uint32Array(frames.totalCount);
    this.pos = new Int32Array(frames.totalCount).fill(-1);
    this.state = new Uint8Array(frames.totalCount);
  }

  /** Pages reserved by objects and not yet released. */
  get reservedCount(): number {
    return this.reserved;
  }

  /** Frames handed out to pages. */
  get inUse(): number {
    return this.used;
  }

  /** Reserved frames no page has yet. */
  get freeCount(): number {
    return this.top;
  }

  /** Pages the reservoir could reserve right now. */
  get available(): number {
    return Math.min(this.frames.freeCount, this.limit - this.reserved);
  }

  /** Set aside `pages` frames; the answer lists them in allocator order (the identity hints). */
  reserve(pages: number): Reservation {
    assert(Number.isInteger(pages) && pages >= 0, 'reserve: page count must be a whole number');
    const free = this.available;
    if (pages > free) return { kind: 'exhausted', wanted: pages, free };
    const got = this.frames.setAside(pages, 'guest');
    assert(got !== null, 'reserve: allocator ran dry after saying it had frames');
    if (this.layout === 'scattered') for (let i = 0; i < pages; i++) this.pushScattered(got[i]);
    else for (let i = pages - 1; i >= 0; i--) this.push(got[i]);
    this.reserved += pages;
    return { kind: 'ok', frames: got };
  }

  /**
   * A zeroed frame for one page, or -1 when every reserved frame is in use. `hint` is the frame
   * the identity layout would give (ignored when scattered, or when that frame is not free here).
   */
  take(hint: number): Hfn | -1 {
    if (this.top === 0) return -1;
    const want = this.layout === 'identity' && this.state[hint] === FREE ? hint : this.stack[this.top - 1];
    const f = want as Hfn;
    this.unlink(f);
    this.state[f] = IN_USE;
    this.used++;
    this.frames.scrub(f);
    if (this.sink.enabled) this.sink.emit({ type: 'frame-alloc', hfn: f, purpose: 'guest' });
    return f;
  }

  /** A page's frame comes back (its object is freed); it stays reserved, free for another page. */
  give(f: Hfn): void {
    assert(this.state[f] === IN_USE, 'give: frame was not handed out here (double give?)');
    this.used--;
    this.push(f);
  }

  /** End a reservation of `pages`: that many free frames go back to the allocator. */
  release(pages: number): void {
    assert(pages <= this.top && pages <= this.reserved, 'release: more pages than are reserved and free');
    for (let i = 0; i < pages; i++) {
      const f = this.stack[this.top - 1] as Hfn;
      this.unlink(f);
      this.state[f] = NOT_OURS;
      this.frames.free(f);
    }
    this.reserved -= pages;
  }

  /** Whether the frame is one of the reservoir's (free here or handed out). */
  isReserved(f: Hfn): boolean {
    return this.state[f] !== NOT_OURS;
  }

  /** Whether a page holds the frame now. */
  isInUse(f: Hfn): boolean {
    return this.state[f] === IN_USE;
  }

  private push(f: number): void {
    this.state[f] = FREE;
    this.pos[f] = this.top;
    this.stack[this.top++] = f;
  }

  /* Put f at a random depth of the stack: the frame that was there moves to the top. */
  private pushScattered(f: number): void {
    const j = this.rng.below(this.top + 1);
    if (j === this.top) return this.push(f);
    const was = this.stack[j];
    this.push(was);
    this.state[f] = FREE;
    this.stack[j] = f;
    this.pos[f] = j;
  }

  /* Take f off the stack in O(1): the top entry fills its place. */
  private unlink(f: number): void {
    const i = this.pos[f];
    assert(i >= 0 && this.state[f] === FREE, 'reservoir: frame is not free here');
    const last = this.stack[--this.top];
    this.stack[i] = last;
    this.pos[last] = i;
    this.pos[f] = -1;
  }

  /** Full sweep: the stack, pos[] and state[] agree; held frames match the reservation. */
  checkInvariants(): void {
    let free = 0;
    let inUse = 0;
    for (let f = 0; f < this.state.length; f++) {
      const s = this.state[f];
      if (s === FREE) {
        free++;
        assert(this.pos[f] >= 0 && this.stack[this.pos[f]] === f, 'reservoir: free frame off the stack');
      } else assert(this.pos[f] === -1, 'reservoir: a frame not free here has a stack place');
      if (s === IN_USE) inUse++;
      if (s !== NOT_OURS)
        assert(this.frames.purpose(f as Hfn) === 'guest', 'reservoir: frame not a guest frame');
    }
    assert(free === this.top, 'reservoir: free count disagrees with the stack');
    assert(inUse === this.used, 'reservoir: in-use count disagrees with frame states');
    assert(free + inUse === this.reserved, 'reservoir: held frames differ from the reservation');
  }
}
