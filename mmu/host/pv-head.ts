/*
 * PV heads: for every host frame, the record of which page-table entries map it.
 *
 * One head per frame, in typed arrays indexed by frame number:
 *
 *   kind[f]   EMPTY   no mapping                     val[f] unused
 *             SINGLE  exactly one mapping            val[f] = that PTE location (host byte address)
 *             LIST    two or more mappings           val[f] = first PV entry (index into the PvPool)
 *             TABLE   the frame holds a page table   val[f] unused (see table-descriptors.ts)
 *   count[f]  number of mappings (0, 1, or the sum over the list)
 *
 * A LIST is a chain of two-slot PV entries:
 *
 *   head ──► [ pte_a | pte_b ] ──► [ pte_c | pte_d ] ──► [ pte_e | pte_f ] ──► PV_NIL
 *             may be half full      always full            always full
 *
 * Conversions (the seed's, in our words):
 *  - enter on EMPTY stores the PTE in the head itself (SINGLE);
 *  - enter on SINGLE takes an entry, moves the old PTE into slot 0 and the new one into slot 1
 *    (SINGLE -> LIST);
 *  - enter on LIST fills the first entry's empty slot, or pushes a new entry at the front;
 *  - remove from an entry that becomes empty unlinks and frees it;
 *  - remove from an entry further down that becomes half full moves its other PTE into the first
 *    entry's empty slot and frees it (coalescing), or, when the first entry is full, moves the
 *    half-full entry to the front, so only the first entry is ever half full;
 *  - remove that leaves the first and only entry holding one PTE collapses back to SINGLE.
 *
 * Invariants: LIST has count >= 2; no entry on a list is empty; every entry but the first is full;
 * a PTE location appears once in all heads together (the pmap checks the last one).
 */

import type { Hfn, Hpa } from '../addr.js';
import { assert, broken } from '../checks.js';
import type { EventSink, MmuEvent, PvHeadKind } from '../events.js';
import { nullSink } from '../events.js';
import { PV_NIL } from './pv-pool.js';
import type { PvPool } from './pv-pool.js';

export type { PvHeadKind } from '../events.js';

export const HEAD_EMPTY = 0;
export const HEAD_SINGLE = 1;
export const HEAD_LIST = 2;
export const HEAD_TABLE = 3;

const KIND_NAMES: readonly PvHeadKind[] = ['empty', 'single', 'list', 'table'];

export class PvHeads {
  readonly kind: Uint8Array;
  readonly val: Uint32Array;
  readonly count: Uint32Array;
  /** SINGLE <-> LIST conversions so far (the run summary's figure; see also 'pv-convert' events). */
  conversions = 0;

  constructor(
    frameCount: number,
    readonly pool: PvPool,
    private readonly sink: EventSink<MmuEvent> = nullSink,
  ) {
    this.kind = new Uint8Array(frameCount);
    this.val = new Uint32Array(frameCount);
    this.count = new Uint32Array(frameCount);
  }

  kindName(f: Hfn): PvHeadKind {
    return KIND_NAMES[this.kind[f]];
  }

  /** Record that the entry at pte maps frame f. The caller guarantees pte is not recorded yet. */
  enter(f: Hfn, pte: Hpa): void {
    const k = this.kind[f];
    if (k === HEAD_EMPTY) {
      this.kind[f] = HEAD_SINGLE;
      this.val[f] = pte;
    } else {
      assert(k !== HEAD_TABLE, 'pv enter: frame holds a page table');
      if (k === HEAD_SINGLE) this.toList(f);
      this.addToList(f, pte);
    }
    this.count[f]++;
    if (this.sink.enabled) this.sink.emit({ type: 'pv-enter', hfn: f, pte, head: KIND_NAMES[this.kind[f]] });
  }

  /* SINGLE -> LIST: the lone PTE moves into slot 0 of a fresh entry. */
  private toList(f: Hfn): void {
    const e = this.pool.alloc();
    this.pool.slots[2 * e] = this.val[f];
    this.kind[f] = HEAD_LIST;
    this.val[f] = e;
    this.conversions++;
    if (this.sink.enabled) this.sink.emit({ type: 'pv-convert', hfn: f, from: 'single', to: 'list' });
  }

  private addToList(f: Hfn, pte: Hpa): void {
    const slots = this.pool.slots;
    const h = this.val[f];
    if (slots[2 * h] === PV_NIL) slots[2 * h] = pte;
    else if (slots[2 * h + 1] === PV_NIL) slots[2 * h + 1] = pte;
    else {
      const e = this.pool.alloc();
      this.pool.slots[2 * e] = pte;
      this.pool.next[e] = h;
      this.val[f] = e;
    }
  }

  /** Forget that pte maps f. Throws if it was not recorded: removing a mapping that isn't there is a bug. */
  remove(f: Hfn, pte: Hpa): void {
    const k = this.kind[f];
    if (k === HEAD_SINGLE) {
      assert(this.val[f] === pte, 'pv remove: frame is mapped by a different PTE');
      this.kind[f] = HEAD_EMPTY;
      this.val[f] = 0;
    } else {
      assert(k === HEAD_LIST, 'pv remove: frame has no mappings');
      this.removeFromList(f, pte);
    }
    this.count[f]--;
    if (this.sink.enabled) this.sink.emit({ type: 'pv-remove', hfn: f, pte, head: KIND_NAMES[this.kind[f]] });
  }

  private removeFromList(f: Hfn, pte: Hpa): void {
    const pool = this.pool;
    let prev = PV_NIL;
    let e = this.val[f];
    let slot = -1;
    while (e !== PV_NIL) {
      if (pool.slots[2 * e] === pte) slot = 0;
      else if (pool.slots[2 * e + 1] === pte) slot = 1;
      if (slot >= 0) break;
      prev = e;
      e = pool.next[e];
    }
    assert(e !== PV_NIL, "pv remove: PTE is not on the frame's PV list");
    pool.slots[2 * e + slot] = PV_NIL;
    const other = pool.slots[2 * e + 1 - slot];
    if (other === PV_NIL) this.unlinkEmpty(f, prev, e);
    else if (prev !== PV_NIL) this.coalesce(f, prev, e, other);
    else if (pool.next[e] === PV_NIL) this.collapse(f, e, other);
  }

  /* An entry with no PTE left: off the list and back to the pool. */
  private unlinkEmpty(f: Hfn, prev: number, e: number): void {
    const pool = this.pool;
    if (prev === PV_NIL) this.val[f] = pool.next[e];
    else pool.next[prev] = pool.next[e];
    pool.free(e);
    assert(this.val[f] !== PV_NIL, 'pv remove: list emptied without collapsing to single');
  }

  /* A half-full entry past the first: merge into the first entry, or move it to the front. */
  private coalesce(f: Hfn, prev: number, e: number, other: number): void {
    const pool = this.pool;
    const h = this.val[f];
    let hole = -1;
    if (pool.slots[2 * h] === PV_NIL) hole = 2 * h;
    else if (pool.slots[2 * h + 1] === PV_NIL) hole = 2 * h + 1;
    pool.next[prev] = pool.next[e];
    if (hole >= 0) {
      pool.slots[hole] = other;
      pool.free(e);
    } else {
      pool.next[e] = h;
      this.val[f] = e;
    }
  }

  /* The only entry holds one PTE: the head takes it back (LIST -> SINGLE). */
  private collapse(f: Hfn, e: number, other: number): void {
    this.kind[f] = HEAD_SINGLE;
    this.val[f] = other;
    this.pool.free(e);
    this.conversions++;
    if (this.sink.enabled) this.sink.emit({ type: 'pv-convert', hfn: f, from: 'list', to: 'single' });
  }

  /** Some PTE location that maps f (the first one disconnect will clear). */
  firstPte(f: Hfn): Hpa {
    const k = this.kind[f];
    if (k === HEAD_SINGLE) return this.val[f] as Hpa;
    assert(k === HEAD_LIST, 'pv: frame has no mappings');
    const h = this.val[f];
    const s = this.pool.slots[2 * h];
    return (s !== PV_NIL ? s : this.pool.slots[2 * h + 1]) as Hpa;
  }

  forEach(f: Hfn, fn: (pte: Hpa) => void): void {
    const k = this.kind[f];
    if (k === HEAD_SINGLE) fn(this.val[f] as Hpa);
    else if (k === HEAD_LIST) {
      const pool = this.pool;
      for (let e = this.val[f]; e !== PV_NIL; e = pool.next[e]) {
        if (pool.slots[2 * e] !== PV_NIL) fn(pool.slots[2 * e] as Hpa);
        if (pool.slots[2 * e + 1] !== PV_NIL) fn(pool.slots[2 * e + 1] as Hpa);
      }
    }
  }

  markTable(f: Hfn): void {
    assert(this.kind[f] === HEAD_EMPTY, 'pv: a mapped frame cannot become a page table');
    this.kind[f] = HEAD_TABLE;
  }

  unmarkTable(f: Hfn): void {
    assert(this.kind[f] === HEAD_TABLE, 'pv: frame is not a page table');
    this.kind[f] = HEAD_EMPTY;
  }

  /**
   * Sweep one head's list shape; mark every PV entry it uses with 1 in `pveMark` and call `onPte`
   * for every PTE. Returns the number of PTEs found.
   */
  checkHead(f: Hfn, pveMark: Uint8Array, onPte: (pte: number) => void): number {
    const k = this.kind[f];
    if (k === HEAD_EMPTY || k === HEAD_TABLE) {
      if (this.count[f] !== 0) broken(`pv: frame ${f} is ${KIND_NAMES[k]} but count is ${this.count[f]}`);
      return 0;
    }
    if (k === HEAD_SINGLE) {
      if (this.count[f] !== 1) broken(`pv: frame ${f} is single but count is ${this.count[f]}`);
      onPte(this.val[f]);
      return 1;
    }
    if (k !== HEAD_LIST) broken(`pv: frame ${f} has a bad head kind ${k}`);
    const pool = this.pool;
    let n = 0;
    for (let e = this.val[f], first = true; e !== PV_NIL; e = pool.next[e], first = false) {
      if (pveMark[e] !== 0) broken(`pv: entry ${e} of frame ${f} is on two lists or loops`);
      pveMark[e] = 1;
      const a = pool.slots[2 * e];
      const b = pool.slots[2 * e + 1];
      const held = (a !== PV_NIL ? 1 : 0) + (b !== PV_NIL ? 1 : 0);
      if (held <= 0) broken(`pv: empty entry on frame ${f}'s list`);
      if (!(first || held === 2)) broken(`pv: half-full entry past the first on frame ${f}'s list`);
      if (a !== PV_NIL) onPte(a);
      if (b !== PV_NIL) onPte(b);
      n += held;
    }
    if (n < 2) broken(`pv: frame ${f} is a list with ${n} mappings`);
    if (n !== this.count[f]) broken(`pv: frame ${f} count ${this.count[f]} but list holds ${n}`);
    return n;
  }
}
