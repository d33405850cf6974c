/*
 * The reservoir: host frames set aside for guest memory objects.
 *
 * A guest memory object (mmu/vm) asks the reservoir for N pages at creation and gets N frames, each
 * zeroed, in a Uint32Array listing their frame numbers in page order (the object's page i lives in
 * frames[i]). The frames need not be contiguous in host RAM, as in the seed's reservoir.
 *
 * Invariants:
 *  - reserve either hands out all N frames or none: when the allocator has fewer than N free it
 *    returns { kind: 'exhausted' } (a value; a guest asking for too much memory is not a bug).
 *  - reservedCount = frames handed out and not yet released; release checks that each frame was
 *    handed out by this reservoir (a double release is a bug and throws).
 *  - an optional limit caps reservedCount (the reservoir size a host admin would configure).
 */

import type { Hfn } from '../addr.js';
import { assert } from '../checks.js';
import type { EventSink, MmuEvent } from '../events.js';
import { nullSink } from '../events.js';
import type { FrameAllocator } from './frame-allocator.js';

export type Reservation =
  { kind: 'ok'; frames: Uint32Array } | { kind: 'exhausted'; wanted: number; free: number };

export class Reservoir {
  private reserved = 0;
  private readonly mine: Uint8Array;
  readonly limit: number;

  constructor(
    readonly frames: FrameAllocator,
    readonly sink: EventSink<MmuEvent> = nullSink,
    opts: { limit?: number } = {},
  ) {
    this.limit = opts.limit ?? frames.totalCount;
    this.mine = new Uint8Array(frames.totalCount);
  }

  get reservedCount(): number {
    return this.reserved;
  }

  /** Pages the reservoir could hand out right now. */
  get available(): number {
    return Math.min(this.frames.freeCount, this.limit - this.reserved);
  }

  reserve(pages: number): Reservation {
    assert(Number.isInteger(pages) && pages >= 0, 'reserve: page count must be a whole number');
    const free = this.available;
    if (pages > free) return { kind: 'exhausted', wanted: pages, free };
    const out = new Uint32Array(pages);
    for (let i = 0; i < pages; i++) {
      const f = this.frames.alloc('guest');
      assert(f !== -1, 'reserve: allocator ran dry after saying it had frames');
      this.mine[f] = 1;
      out[i] = f;
    }
    this.reserved += pages;
    return { kind: 'ok', frames: out };
  }

  release(frames: Uint32Array): void {
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i] as Hfn;
      assert(this.mine[f] === 1, 'release: frame was not reserved here (double release?)');
      this.mine[f] = 0;
      this.frames.free(f);
    }
    this.reserved -= frames.length;
  }

  isReserved(f: Hfn): boolean {
    return this.mine[f] === 1;
  }
}
