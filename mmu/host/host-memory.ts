/*
 * Host RAM: one ArrayBuffer, created once, cut into 4 KiB frames.
 *
 * Everything nestvm calls "host-physical" is an offset into this buffer (DESIGN §1, §7). Unicorn maps
 * it once at host-physical 0; page tables, guest memory and nothing else live in it. Frames are views
 * into the buffer, never copies, and the buffer is never replaced or grown, so any Uint8Array or
 * Uint32Array someone holds on it stays valid for the life of the machine.
 *
 *   host-physical address (Hpa)
 *   31                      12 11          3 2   0
 *   +-------------------------+-------------+-----+
 *   |     frame number (Hfn)  | entry index | 000 |   <- an 8-byte page-table entry
 *   +-------------------------+-------------+-----+
 *
 * Invariants:
 *  - bytes is a positive multiple of PAGE_SIZE and below 2^32, so every Hpa fits in 32 bits and
 *    `hpa >>> 2` indexes u32 (the low half of a 64-bit entry; `+1` is the high half).
 *  - u8 and u32 are views on the same buffer; little-endian, as both guest architectures are.
 */

import { PAGE_SIZE } from '../addr.js';
import type { Hfn } from '../addr.js';
import { assert } from '../checks.js';

/** Largest host RAM we accept: every Hpa must fit an unsigned 32-bit number. */
export const HOST_MEMORY_LIMIT = 2 ** 32 - PAGE_SIZE;

export class HostMemory {
  readonly buffer: ArrayBuffer;
  readonly u8: Uint8Array;
  readonly u32: Uint32Array;
  readonly bytes: number;
  readonly frameCount: number;

  constructor(bytes: number) {
    assert(Number.isInteger(bytes) && bytes > 0, 'host memory size must be a positive integer');
    assert(bytes % PAGE_SIZE === 0, 'host memory size must be a multiple of PAGE_SIZE');
    assert(bytes <= HOST_MEMORY_LIMIT, 'host memory must stay below 4 GiB');
    this.bytes = bytes;
    this.frameCount = bytes / PAGE_SIZE;
    this.buffer = new ArrayBuffer(bytes);
    this.u8 = new Uint8Array(this.buffer);
    this.u32 = new Uint32Array(this.buffer);
  }

  /** True when f names a frame of host RAM (not a device aperture above it). */
  isRam(f: Hfn): boolean {
    return f >= 0 && f < this.frameCount;
  }

  zeroFrame(f: Hfn): void {
    assert(this.isRam(f), 'zeroFrame: frame outside host RAM');
    const w = f * (PAGE_SIZE >>> 2);
    this.u32.fill(0, w, w + (PAGE_SIZE >>> 2));
  }

  /** True when every byte of frame f is zero (a check, not a hot path). */
  isZero(f: Hfn): boolean {
    assert(this.isRam(f), 'isZero: frame outside host RAM');
    const w = f * (PAGE_SIZE >>> 2);
    for (let i = w; i < w + (PAGE_SIZE >>> 2); i++) if (this.u32[i] !== 0) return false;
    return true;
  }

  /** A view of one frame's bytes (no copy). */
  frameBytes(f: Hfn): Uint8Array {
    assert(this.isRam(f), 'frameBytes: frame outside host RAM');
    return this.u8.subarray(f * PAGE_SIZE, (f + 1) * PAGE_SIZE);
  }
}
