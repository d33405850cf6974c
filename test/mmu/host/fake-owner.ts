/*
 * A test-only table owner: the smallest thing that can own tables in a pmap.
 *
 * It makes one-level "trees": leaf tables (level 1) allocated from a TablePool, each optionally hung
 * off one interior table (level 2) through a table pointer, so steal has a parent to unlink from.
 * Its leaf encoding is private and trivial (bit 0 present, frame in the upper bits); it remembers
 * which frame each PTE maps in a Map, which is all clearLeafEntry and stealLeafTable need.
 */

import { hpa } from '../../../mmu/addr.js';
import type { Gpa, Hfn, Hpa } from '../../../mmu/addr.js';
import type { Pmap } from '../../../mmu/host/pmap.js';
import type { TableOwner } from '../../../mmu/host/table-owner.js';
import type { TablePool } from '../../../mmu/host/table-pool.js';

export const encodeLeaf = (frame: number): [number, number] => [
  ((frame << 12) | 1) >>> 0,
  Math.floor(frame / 2 ** 20),
];

export class FakeOwner implements TableOwner {
  readonly ownerId: number;
  /** PTE location -> frame it maps. */
  readonly leaves = new Map<number, number>();
  /** leaf table -> the pointer entry in the parent that links it (if any). */
  readonly links = new Map<number, number>();
  stealCalls = 0;

  constructor(
    readonly pmap: Pmap,
    readonly pool?: TablePool,
  ) {
    this.ownerId = pmap.registerOwner(this);
  }

  pteOf(table: number, index: number): Hpa {
    return hpa(table * 4096 + index * 8);
  }

  map(pte: Hpa, frame: number): void {
    const [lo, hi] = encodeLeaf(frame);
    this.pmap.installLeaf(pte, lo, hi, frame as Hfn);
    this.leaves.set(pte, frame);
  }

  unmap(pte: Hpa): void {
    const frame = this.leaves.get(pte);
    if (frame === undefined) throw new Error('fake owner: unmap of unknown pte');
    this.leaves.delete(pte);
    this.pmap.clearLeaf(pte, frame as Hfn);
  }

  /** Hang leaf table `leaf` off entry `index` of interior table `parent`. */
  link(parent: number, index: number, leaf: number): void {
    const pte = this.pteOf(parent, index);
    this.pmap.installTable(pte, ((leaf << 12) | 7) >>> 0, 0);
    this.pmap.adjustRefcount(parent as Hfn, 1);
    this.links.set(leaf, pte);
  }

  unlink(leaf: number): void {
    const pte = this.links.get(leaf);
    if (pte === undefined) return;
    this.links.delete(leaf);
    this.pmap.clearTable(pte as Hpa);
    this.pmap.adjustRefcount((pte >>> 12) as Hfn, -1);
  }

  allocTable(level: number, base: number): Hfn | -1 {
    if (!this.pool) throw new Error('fake owner: no pool');
    return this.pool.alloc(this.ownerId, level, base as Gpa);
  }

  clearLeafEntry(pte: Hpa): void {
    this.unmap(pte);
  }

  stealLeafTable(table: Hfn): number {
    this.stealCalls++;
    let n = 0;
    for (const pte of [...this.leaves.keys()]) {
      if (pte >>> 12 === table) {
        this.unmap(pte as Hpa);
        n++;
      }
    }
    this.unlink(table);
    return n;
  }

  validCount(table: Hfn): number {
    let n = 0;
    for (const pte of this.leaves.keys()) if (pte >>> 12 === table) n++;
    return n;
  }
}
