/*
 * The frame allocator: which 4 KiB frames of host RAM are in use, and for what.
 *
 * Free frames sit on a stack held in a Uint32Array (no object per frame). A fresh allocator pushes
 * the frames so that the lowest-numbered frame is handed out first; after that the stack is LIFO,
 * so the frame freed last is reused first. Both rules are deterministic, so two runs with the same
 * operations get the same frames (DESIGN §6).
 *
 *   stack  [ f_k ... f_2 f_1 f_0 ]        top = freeCount; alloc pops stack[top-1]
 *           ^ bottom          ^ top-1
 *   use[f] 0 = free, 1 = table, 2 = guest  (one byte per frame)
 *
 * Invariants:
 *  - a frame is on the stack exactly when use[f] is 0; freeCount + allocated = totalCount.
 *  - alloc hands out a zeroed frame, or the value -1 when memory is exhausted: running out of host
 *    memory is something a guest can cause, so it is never an exception.
 *  - a frame is zeroed when it is handed out, unless it is still clean: the owner of a freshly
 *    created HostMemory (whose ArrayBuffer is all zero) says so with `{ zeroed: true }`, and each
 *    frame is then clean until its first alloc. Nothing writes a frame that was never handed out
 *    (guests, tables and loaders reach only allocated frames), so a clean frame is still zero, and
 *    guest RAM the guest never touches is neither written nor made resident by the allocator.
 *    With full checks on, every clean frame is verified to be zero when it is handed out.
 *  - setAside(n) takes n frames at once for a holder that hands them out later (the reservoir): no
 *    zeroing and no event per frame, so setting aside all of guest RAM costs n stack pops. The
 *    holder calls scrub(f) when it puts a set-aside frame to use, which zeroes it as alloc would.
 *  - free of a frame that is not allocated (a double free) is a bug in nestvm and throws.
 *  - free of a frame that some PTE still maps, or that still holds a table, throws too: the pmap
 *    registers that check (setFreeCheck) when a table pool ties the two together.
 */

import type { Hfn } from '../addr.js';
import { assert, fullChecks } from '../checks.js';
import type { EventSink, MmuEvent } from '../events.js';
import { nullSink } from '../events.js';
import type { HostMemory } from './host-memory.js';

export type FramePurpose = 'table' | 'guest';

const USE_FREE = 0;
const USE_TABLE = 1;
const USE_GUEST = 2;

export class FrameAllocator {
  readonly mem: HostMemory;
  readonly totalCount: number;
  private readonly stack: Uint32Array;
  private readonly use: Uint8Array;
  /* 1 = never handed out since the zeroed HostMemory was created, so still zero */
  private readonly clean: Uint8Array;
  private top: number;
  private sink: EventSink<MmuEvent>;
  private freeCheck: ((f: Hfn) => void) | null = null;

  /** `zeroed`: the caller knows every byte of `mem` is zero now (it has just created it). */
  constructor(mem: HostMemory, sink: EventSink<MmuEvent> = nullSink, opts: { zeroed?: boolean } = {}) {
    this.mem = mem;
    this.sink = sink;
    this.totalCount = mem.frameCount;
    this.stack = new Uint32Array(this.totalCount);
    this.use = new Uint8Array(this.totalCount);
    this.clean = new Uint8Array(this.totalCount);
    if (opts.zeroed === true) this.clean.fill(1);
    for (let i = 0; i < this.totalCount; i++) this.stack[i] = this.totalCount - 1 - i;
    this.top = this.totalCount;
  }

  get freeCount(): number {
    return this.top;
  }

  get usedCount(): number {
    return this.totalCount - this.top;
  }

  /** A zeroed frame, or -1 when none is free. */
  alloc(purpose: FramePurpose): Hfn | -1 {
    if (this.top === 0) return -1;
    const f = this.stack[--this.top] as Hfn;
    this.use[f] = purpose === 'table' ? USE_TABLE : USE_GUEST;
    this.scrub(f);
    if (this.sink.enabled) this.sink.emit({ type: 'frame-alloc', hfn: f, purpose });
    return f;
  }

  /**
   * `n` frames at once, in the order alloc would give them, neither zeroed nor reported one by one:
   * their holder scrubs each when it puts it to use. Null (nothing taken) when fewer are free.
   */
  setAside(n: number, purpose: FramePurpose): Uint32Array | null {
    assert(Number.isInteger(n) && n >= 0, 'setAside: frame count must be a whole number');
    if (n > this.top) return null;
    const out = new Uint32Array(n);
    const use = purpose === 'table' ? USE_TABLE : USE_GUEST;
    for (let i = 0; i < n; i++) {
      const f = this.stack[--this.top];
      this.use[f] = use;
      out[i] = f;
    }
    return out;
  }

  /** Make an allocated frame zero: write it unless it is still clean (never handed out). */
  scrub(f: Hfn): void {
    assert(this.use[f] !== USE_FREE, 'scrub: frame is not allocated');
    if (this.clean[f] === 0) this.mem.zeroFrame(f);
    else {
      this.clean[f] = 0;
      if (fullChecks()) assert(this.mem.isZero(f), 'scrub: a clean frame is not zero (written while free?)');
    }
  }

  free(f: Hfn): void {
    assert(f >= 0 && f < this.totalCount, 'free: frame outside host RAM');
    assert(this.use[f] !== USE_FREE, 'free: frame is not allocated (double free?)');
    if (this.freeCheck !== null) this.freeCheck(f);
    this.use[f] = USE_FREE;
    this.stack[this.top++] = f;
    if (this.sink.enabled) this.sink.emit({ type: 'frame-free', hfn: f });
  }

  /**
   * Report from now on to `sink`: an owner that builds its host quietly (no event per frame set
   * aside) and then sums it up in one event attaches its sink here.
   */
  reportTo(sink: EventSink<MmuEvent>): void {
    this.sink = sink;
  }

  /** A cheap check run on every free (the pmap's "is this frame still in use?"). */
  setFreeCheck(check: ((f: Hfn) => void) | null): void {
    this.freeCheck = check;
  }

  isAllocated(f: Hfn): boolean {
    return f >= 0 && f < this.totalCount && this.use[f] !== USE_FREE;
  }

  /** What the frame was allocated for, or null when it is free. */
  purpose(f: Hfn): FramePurpose | null {
    const u = this.use[f];
    return u === USE_TABLE ? 'table' : u === USE_GUEST ? 'guest' : null;
  }

  /** Full sweep: the stack holds exactly the free frames, each once. */
  checkInvariants(): void {
    const seen = new Uint8Array(this.totalCount);
    for (let i = 0; i < this.top; i++) {
      const f = this.stack[i];
      assert(f < this.totalCount, 'frame allocator: stack entry out of range');
      assert(seen[f] === 0, 'frame allocator: frame on the free stack twice');
      assert(this.use[f] === USE_FREE, 'frame allocator: allocated frame on the free stack');
      seen[f] = 1;
    }
    let free = 0;
    for (let f = 0; f < this.totalCount; f++) if (this.use[f] === USE_FREE) free++;
    assert(free === this.top, 'frame allocator: free count disagrees with frame states');
  }
}
