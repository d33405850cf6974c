/*
 * The swap store: where the host keeps the content of guest pages that lost their frame.
 *
 * A hypervisor under overcommit takes a frame away from a guest page and keeps the page's bytes
 * somewhere cheaper -- a swap device, a compressed pool. Here that somewhere is host-side memory
 * outside host RAM (outside Unicorn's view), cut into 4 KiB slots. A page is named by the memory
 * object it belongs to and its page index in that object, never by a frame: the frame is gone.
 *
 *   key = object id * 2^32 + page index           (object id < 2^16, page index < 2^32)
 *   slots: chunks of CHUNK_PAGES pages, one ArrayBuffer each; slot s is chunk s / CHUNK_PAGES,
 *          byte offset (s % CHUNK_PAGES) * 4096
 *
 *     keys  Map key -> slot                      free: stack of slots given back
 *     ┌────────────┐   ┌────────────────────────────────┐ ┌────────────────────────┐
 *     │ (1, 7) → 0 │   │ slot 0 │ slot 1 │ ... │ slot 63 │ │ slot 64 │ ...          │
 *     │ (1, 9) → 2 │   └────────────────────────────────┘ └────────────────────────┘
 *     └────────────┘         chunk 0 (256 KiB)                 chunk 1
 *
 * Retention: reading a page back (swap-in) keeps its copy. While the page is not written again the
 * copy stays true, so the next eviction of that page can drop the frame without writing anything
 * (a clean drop). Whoever knows the page was written calls put again, which overwrites the slot.
 *
 * A tally (attach: the host pmap's swapCopies) follows the number of pages held, over every store
 * attached to it: while it is zero no guest page of that host has a copy, so no frame's "written
 * since its swap copy" attribute can matter, and a dirty-log harvest need not set it
 * (page-attributes.ts).
 *
 * Invariants (checkInvariants): every slot is either held by exactly one key or on the free stack;
 * pages + free = slots made; a key's object id and page index are in range; an attached tally has
 * moved by exactly the change in `pages` since attach.
 */

import { PAGE_SIZE } from '../addr.js';
import { assert } from '../checks.js';

/** Pages per chunk of the store (one ArrayBuffer each). */
const CHUNK_PAGES = 64;
const OBJECT_IDS = 2 ** 16;
const PAGE_KEYS = 2 ** 32;

/** Where a store counts the pages it holds (the host pmap: Pmap.swapCopies). */
export interface SwapCopyTally {
  swapCopies: number;
}

export class SwapStore {
  private readonly keys = new Map<number, number>();
  private readonly chunks: Uint8Array[] = [];
  private free: number[] = [];
  private made = 0;
  private tally: SwapCopyTally | null = null;
  /** Pages ever written into the store (a put of a new page or over an old copy). */
  writes = 0;
  /** Pages ever read back out. */
  reads = 0;

  /** Pages whose content is held. */
  get pages(): number {
    return this.keys.size;
  }

  /** Host bytes the store has set aside (held and free slots). */
  get bytes(): number {
    return this.chunks.length * CHUNK_PAGES * PAGE_SIZE;
  }

  /** Count the held pages, now and from now on, in `t` (once per store). */
  attach(t: SwapCopyTally): void {
    assert(this.tally === null || this.tally === t, 'swap store: attached to two tallies');
    if (this.tally === t) return;
    this.tally = t;
    t.swapCopies += this.keys.size;
  }

  has(object: number, page: number): boolean {
    return this.keys.has(key(object, page));
  }

  /** Copy one page (PAGE_SIZE bytes of `src`) in, over any older copy of it. */
  put(object: number, page: number, src: Uint8Array): void {
    assert(src.length === PAGE_SIZE, 'swap store: a page is PAGE_SIZE bytes');
    const k = key(object, page);
    let s = this.keys.get(k);
    if (s === undefined) {
      s = this.takeSlot();
      this.keys.set(k, s);
      if (this.tally !== null) this.tally.swapCopies++;
    }
    this.view(s).set(src);
    this.writes++;
  }

  /** Copy the held page out into `dst` (PAGE_SIZE bytes); the copy stays. False when none is held. */
  get(object: number, page: number, dst: Uint8Array): boolean {
    assert(dst.length === PAGE_SIZE, 'swap store: a page is PAGE_SIZE bytes');
    const held = this.peek(object, page);
    if (held === null) return false;
    dst.set(held);
    this.reads++;
    return true;
  }

  /**
   * The held page itself, read in place (a view of PAGE_SIZE bytes; do not keep it, do not write
   * it), or null. Unlike get() it counts nothing: it is how a debugger looks at a swapped-out page
   * without swapping it in.
   */
  peek(object: number, page: number): Uint8Array | null {
    const s = this.keys.get(key(object, page));
    return s === undefined ? null : this.view(s);
  }

  /** Forget one page's copy (it no longer tells the truth, or the page is gone). */
  drop(object: number, page: number): boolean {
    const k = key(object, page);
    const s = this.keys.get(k);
    if (s === undefined) return false;
    this.keys.delete(k);
    this.free.push(s);
    if (this.tally !== null) this.tally.swapCopies--;
    return true;
  }

  /** Forget every page of one object (the object was freed); returns how many. */
  dropObject(object: number): number {
    let n = 0;
    for (const [k, s] of this.keys) {
      if (Math.floor(k / PAGE_KEYS) !== object) continue;
      this.keys.delete(k);
      this.free.push(s);
      n++;
    }
    if (this.tally !== null) this.tally.swapCopies -= n;
    return n;
  }

  private takeSlot(): number {
    const s = this.free.pop();
    if (s !== undefined) return s;
    if (this.made % CHUNK_PAGES === 0) this.chunks.push(new Uint8Array(CHUNK_PAGES * PAGE_SIZE));
    return this.made++;
  }

  private view(s: number): Uint8Array {
    const at = (s % CHUNK_PAGES) * PAGE_SIZE;
    return this.chunks[Math.floor(s / CHUNK_PAGES)].subarray(at, at + PAGE_SIZE);
  }

  /** Full sweep (see the essay). */
  checkInvariants(): void {
    const owner = new Uint8Array(this.made);
    for (const [k, s] of this.keys) {
      assert(s >= 0 && s < this.made, 'swap store: key names a slot never made');
      assert(owner[s] === 0, 'swap store: two keys share a slot');
      assert(Math.floor(k / PAGE_KEYS) < OBJECT_IDS, 'swap store: object id out of range');
      owner[s] = 1;
    }
    for (const s of this.free) {
      assert(owner[s] === 0, 'swap store: a held slot is on the free stack');
      owner[s] = 2;
    }
    assert(this.keys.size + this.free.length === this.made, 'swap store: a slot is neither held nor free');
    assert(this.chunks.length === Math.ceil(this.made / CHUNK_PAGES), 'swap store: chunk count');
  }
}

function key(object: number, page: number): number {
  assert(
    Number.isInteger(object) && object >= 0 && object < OBJECT_IDS,
    'swap store: object id must be a small whole number',
  );
  assert(Number.isInteger(page) && page >= 0 && page < PAGE_KEYS, 'swap store: page index out of range');
  return object * PAGE_KEYS + page;
}
