/*
 * The PV entry pool: where the pmap gets the two-slot entries of its PV lists.
 *
 * A PV entry is an index into two typed arrays (no object per entry):
 *
 *   slots[2e], slots[2e+1]   two PTE locations (host-physical byte addresses), PV_NIL = empty slot
 *   next[e]                  the following entry in whatever list e is on, PV_NIL at the end
 *
 * Storage comes from an arena that is carved a batch at a time ("feeding" the pool, as the seed
 * feeds it a page of entries) and doubles its typed arrays when it is full. Free entries sit on
 * three kinds of list, modelled on the seed:
 *
 *   per-vCPU free list   cpuHead[c], cpuCount[c]    alloc and free go here first (no sharing)
 *   global ring          ring[read..write)          whole batches of exactly `batch` entries
 *   reserve              reserveHead, reserveCount  the last resort; topped up to lowWater
 *
 *   alloc:  cpu list ─empty─► take a batch from the ring ─empty─► feed a new batch into the ring
 *                                                   └─ arena at maxEntries ─► one entry from the reserve
 *   free:   push on the cpu list; when it holds 2*batch, spill `batch` of them: to the reserve while
 *           the reserve is below lowWater, else to the ring (or the reserve when the ring is full)
 *
 * The reserve exists because in a kernel, feeding can fail (no page to carve) at a moment when
 * failing is not allowed; here it only runs dry when the arena is capped by maxEntries. The
 * "current cpu" selects the per-vCPU list; the vCPU loop sets it (default 0).
 *
 * Invariants (checked by checkInvariants):
 *  - every carved entry is either in use or on exactly one free list, never both, never twice;
 *  - cpuCount, the ring batches and reserveCount agree with the list lengths;
 *  - inUse + free = carved <= capacity <= maxEntries (when finite);
 *  - inUse = taken - returned (every alloc and every free counted, each on its own).
 * Alloc and free are O(1) amortised (a spill walks one batch every `batch` frees).
 */

import { assert, broken } from '../checks.js';
import type { EventSink, MmuEvent } from '../events.js';
import { nullSink } from '../events.js';

export const PV_NIL = 0xffffffff;

export interface PvPoolOptions {
  cpus?: number; // per-vCPU free lists (default 1)
  batch?: number; // entries per batch (default 64)
  ringSize?: number; // batches the global ring holds, a power of two (default 64)
  lowWater?: number; // reserve low-water mark in entries (default = batch)
  maxEntries?: number; // cap on carved entries (default: unlimited)
  initialCapacity?: number; // arena size at start (default 1024)
}

export interface PvPoolStats {
  capacity: number;
  carved: number;
  inUse: number;
  free: number;
  cpuFree: number[];
  ringBatches: number;
  reserve: number;
  lowWater: number;
  feeds: number;
  cpuRefills: number;
  spills: number;
  reserveTakes: number;
  /** Entries handed out by alloc since the start; inUse = taken - returned. */
  taken: number;
  /** Entries given back by free since the start. */
  returned: number;
}

export class PvPool {
  slots: Uint32Array;
  next: Uint32Array;
  private capacity: number;
  private carved = 0;
  private used = 0;
  readonly batch: number;
  readonly lowWater: number;
  readonly maxEntries: number;
  private readonly cpuHead: Uint32Array;
  private readonly cpuCount: Uint32Array;
  private readonly ring: Uint32Array;
  private readonly ringMask: number;
  private ringRead = 0;
  private ringWrite = 0;
  private reserveHead = PV_NIL;
  private reserveCount = 0;
  private cpu = 0;
  private feeds = 0;
  private cpuRefills = 0;
  private spills = 0;
  private reserveTakes = 0;
  private taken = 0;
  private returned = 0;

  constructor(
    opts: PvPoolOptions = {},
    private readonly sink: EventSink<MmuEvent> = nullSink,
  ) {
    const cpus = opts.cpus ?? 1;
    const ringSize = opts.ringSize ?? 64;
    this.batch = opts.batch ?? 64;
    this.lowWater = opts.lowWater ?? this.batch;
    this.maxEntries = opts.maxEntries ?? Infinity;
    assert(cpus >= 1 && this.batch >= 1, 'pv pool: need at least one cpu and a batch of one');
    assert(ringSize >= 2 && (ringSize & (ringSize - 1)) === 0, 'pv pool: ring size must be a power of two');
    this.capacity = Math.min(Math.max(opts.initialCapacity ?? 1024, this.batch), this.maxEntries);
    this.slots = new Uint32Array(this.capacity * 2).fill(PV_NIL);
    this.next = new Uint32Array(this.capacity).fill(PV_NIL);
    this.cpuHead = new Uint32Array(cpus).fill(PV_NIL);
    this.cpuCount = new Uint32Array(cpus);
    this.ring = new Uint32Array(ringSize).fill(PV_NIL);
    this.ringMask = ringSize - 1;
    this.fillReserve();
  }

  get cpus(): number {
    return this.cpuHead.length;
  }

  /** The vCPU whose free list alloc and free use. */
  get currentCpu(): number {
    return this.cpu;
  }
  set currentCpu(c: number) {
    assert(Number.isInteger(c) && c >= 0 && c < this.cpuHead.length, 'pv pool: no such cpu');
    this.cpu = c;
  }

  get inUse(): number {
    return this.used;
  }

  /** A fresh entry with both slots empty. Throws only if the pool is capped and fully drained. */
  alloc(): number {
    const c = this.cpu;
    let e: number;
    if (this.cpuCount[c] > 0 || this.refillCpu(c)) {
      e = this.cpuHead[c];
      this.cpuHead[c] = this.next[e];
      this.cpuCount[c]--;
    } else {
      assert(this.reserveCount > 0, 'pv pool: out of PV entries (arena capped and reserve empty)');
      e = this.reserveHead;
      this.reserveHead = this.next[e];
      this.reserveCount--;
      this.reserveTakes++;
    }
    this.next[e] = PV_NIL;
    this.slots[2 * e] = PV_NIL;
    this.slots[2 * e + 1] = PV_NIL;
    this.used++;
    this.taken++;
    return e;
  }

  free(e: number): void {
    assert(e < this.carved, 'pv pool: freeing an entry that was never carved');
    const c = this.cpu;
    this.slots[2 * e] = PV_NIL;
    this.slots[2 * e + 1] = PV_NIL;
    this.next[e] = this.cpuHead[c];
    this.cpuHead[c] = e;
    this.cpuCount[c]++;
    this.used--;
    this.returned++;
    if (this.cpuCount[c] >= 2 * this.batch) this.spill(c);
  }

  /* Move one batch from the ring (feeding the ring first if it is empty) to cpu c's list. */
  private refillCpu(c: number): boolean {
    if (this.ringRead === this.ringWrite && !this.feed()) return false;
    const head = this.ring[this.ringRead & this.ringMask];
    this.ring[this.ringRead & this.ringMask] = PV_NIL;
    this.ringRead++;
    this.cpuHead[c] = head;
    this.cpuCount[c] = this.batch;
    this.cpuRefills++;
    if (this.sink.enabled) this.sink.emit({ type: 'pv-refill', where: 'cpu', count: this.batch });
    return true;
  }

  /* Carve one new batch out of the arena (growing it if need be) and put it on the ring. */
  private feed(): boolean {
    const head = this.carve();
    if (head === PV_NIL) return false;
    this.ring[this.ringWrite & this.ringMask] = head;
    this.ringWrite++;
    this.feeds++;
    if (this.sink.enabled) this.sink.emit({ type: 'pv-refill', where: 'global', count: this.batch });
    return true;
  }

  /* A linked batch of `batch` never-used entries, or PV_NIL when the cap forbids it. */
  private carve(): number {
    if (this.carved + this.batch > this.maxEntries) return PV_NIL;
    if (this.carved + this.batch > this.capacity) this.grow();
    const first = this.carved;
    for (let i = 0; i < this.batch - 1; i++) this.next[first + i] = first + i + 1;
    this.next[first + this.batch - 1] = PV_NIL;
    this.carved += this.batch;
    return first;
  }

  private grow(): void {
    let cap = this.capacity * 2;
    if (cap > this.maxEntries) cap = this.maxEntries;
    const slots = new Uint32Array(cap * 2).fill(PV_NIL);
    slots.set(this.slots);
    const next = new Uint32Array(cap).fill(PV_NIL);
    next.set(this.next);
    this.slots = slots;
    this.next = next;
    this.capacity = cap;
  }

  private fillReserve(): void {
    let added = 0;
    while (this.reserveCount < this.lowWater) {
      const head = this.carve();
      if (head === PV_NIL) break;
      this.pushReserve(head, head + this.batch - 1, this.batch);
      added += this.batch;
    }
    if (added > 0 && this.sink.enabled) this.sink.emit({ type: 'pv-refill', where: 'reserve', count: added });
  }

  private pushReserve(head: number, tail: number, n: number): void {
    this.next[tail] = this.reserveHead;
    this.reserveHead = head;
    this.reserveCount += n;
  }

  /* Cut `batch` entries off the top of cpu c's list and give them to the reserve or the ring. */
  private spill(c: number): void {
    const head = this.cpuHead[c];
    let tail = head;
    for (let i = 1; i < this.batch; i++) tail = this.next[tail];
    this.cpuHead[c] = this.next[tail];
    this.next[tail] = PV_NIL;
    this.cpuCount[c] -= this.batch;
    this.spills++;
    const ringFull = this.ringWrite - this.ringRead === this.ring.length;
    if (this.reserveCount < this.lowWater || ringFull) {
      this.pushReserve(head, tail, this.batch);
      if (this.sink.enabled) this.sink.emit({ type: 'pv-refill', where: 'reserve', count: this.batch });
    } else {
      this.ring[this.ringWrite & this.ringMask] = head;
      this.ringWrite++;
    }
  }

  get stats(): PvPoolStats {
    const cpuFree = Array.from(this.cpuCount);
    const ringBatches = this.ringWrite - this.ringRead;
    return {
      capacity: this.capacity,
      carved: this.carved,
      inUse: this.used,
      free: this.carved - this.used,
      cpuFree,
      ringBatches,
      reserve: this.reserveCount,
      lowWater: this.lowWater,
      feeds: this.feeds,
      cpuRefills: this.cpuRefills,
      spills: this.spills,
      reserveTakes: this.reserveTakes,
      taken: this.taken,
      returned: this.returned,
    };
  }

  /**
   * Full sweep of the free lists. `mark` (length >= carved) comes back with 2 on every free entry;
   * entries already marked 1 by the caller (in use on some PV list) must not be free.
   */
  checkInvariants(mark: Uint8Array = new Uint8Array(this.carved)): void {
    let free = 0;
    const walk = (head: number, expect: number, where: string): void => {
      let n = 0;
      for (let e = head; e !== PV_NIL; e = this.next[e]) {
        if (e >= this.carved) broken(`pv pool: ${where} list holds an uncarved entry`);
        if (mark[e] !== 0) broken(`pv pool: entry ${e} on ${where} list is also in use or listed twice`);
        mark[e] = 2;
        n++;
        if (n > this.carved) broken(`pv pool: cycle in ${where} list`);
      }
      if (n !== expect) broken(`pv pool: ${where} count ${expect} but list holds ${n}`);
      free += n;
    };
    for (let c = 0; c < this.cpuHead.length; c++) walk(this.cpuHead[c], this.cpuCount[c], 'cpu');
    assert(this.ringWrite - this.ringRead <= this.ring.length, 'pv pool: ring overfull');
    for (let i = this.ringRead; i !== this.ringWrite; i++)
      walk(this.ring[i & this.ringMask], this.batch, 'ring');
    walk(this.reserveHead, this.reserveCount, 'reserve');
    assert(free + this.used === this.carved, 'pv pool: in use + free != carved');
    assert(this.used === this.taken - this.returned, 'pv pool: in use != taken - returned');
    assert(
      this.carved <= this.capacity && this.capacity <= this.maxEntries,
      'pv pool: carved beyond capacity',
    );
  }
}
