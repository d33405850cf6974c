/*
 * GPT nodes: the bookkeeping beside each page table of the tree.
 *
 * A node stands for one 512-entry table. The table itself lives in a host frame (from the table
 * pool) and is what the hardware walks; the node, a plain object, records where the table sits in
 * the tree: its level, its index in the parent table, the first guest-physical address it
 * translates (base), its parent, its children and its siblings. Siblings form a doubly linked list
 * in address order under the parent (first child = lowest index); interior nodes also keep a
 * 512-slot array for finding the child at an index in one step.
 *
 * A node may be *unbacked*: it exists in the bookkeeping but has no frame (frame = NO_FRAME). This
 * happens when host memory ran out while populating, and when the table pool stole the node's leaf
 * table under memory pressure. The region is still populated -- the vmspace still has it mapped --
 * so the node keeps its reference count (in `stash`) and gets a fresh frame on the next map or
 * populate in its range; until then the hardware walk simply finds no table and the access faults.
 *
 * Reference counts live in the pmap's table descriptor of the node's frame (the single source of
 * truth, mmu/host/table-descriptors.ts) while the node is backed, and in `stash` while it is not:
 *   interior node:  number of child nodes (backed or not)
 *   leaf-table node: number of entries covered by vmspace mappings = population count of `cover`
 *                    (set by populate, dropped by vacate, never touched by faults or unmaps)
 *
 * Invariants (gpt-check.ts sweeps them):
 *  - children are in strictly increasing index order; child.base = base + index * SPAN[level];
 *    child.level = level - 1; slots[child.index] === child.
 *  - a backed child has a backed parent; an unbacked node has only unbacked children.
 *  - the root is backed until the tree is freed, and has no parent; leaf-table nodes have no children.
 *  - lostDirty bits are a subset of cover bits, and lostCount is their number.
 *  - dirtyHint is the harvest's summary: a leaf-table node with a dirty leaf or a lost-dirty bit
 *    has it, and so does every node above one that has it. It may be set where nothing is dirty any
 *    more (it is cleared only by a harvest that looked), never clear where something is.
 */

import type { Hfn } from '../addr.js';
import { assert } from '../checks.js';
import { ENTRIES_PER_TABLE, LEAF_LEVEL, SPAN } from './gpt-geometry.js';

export const NO_FRAME = -1 as const;

export class GptNode {
  /** Host frame holding the table, or NO_FRAME while unbacked. */
  frame: Hfn | typeof NO_FRAME = NO_FRAME;
  /** Reference count while unbacked (the pmap descriptor holds it while backed). */
  stash = 0;
  parent: GptNode | null = null;
  /** First (lowest-index) child. */
  child: GptNode | null = null;
  next: GptNode | null = null;
  prev: GptNode | null = null;
  /** Interior nodes: child at each index. */
  readonly slots: (GptNode | null)[] | null;
  /** Leaf-table nodes: one bit per entry covered by a vmspace mapping. */
  readonly cover: Uint32Array | null;
  /**
   * Leaf-table nodes: one bit per page whose leaf was dirty when something other than the vmspace
   * cleared it (disconnect, table steal): the write must still reach the next dirty-log harvest.
   */
  readonly lostDirty: Uint32Array | null;
  /** Bits set in lostDirty. */
  lostCount = 0;
  /** This subtree may hold a dirty leaf or a lost-dirty bit (see the essay): a harvest looks here. */
  dirtyHint = false;

  constructor(
    readonly level: number,
    readonly index: number,
    readonly base: number,
  ) {
    this.slots = level > LEAF_LEVEL ? new Array<GptNode | null>(ENTRIES_PER_TABLE).fill(null) : null;
    this.cover = level === LEAF_LEVEL ? new Uint32Array(ENTRIES_PER_TABLE / 32) : null;
    this.lostDirty = level === LEAF_LEVEL ? new Uint32Array(ENTRIES_PER_TABLE / 32) : null;
  }

  get backed(): boolean {
    return this.frame !== NO_FRAME;
  }

  /** One past the last address the table translates. */
  get end(): number {
    return this.base + SPAN[this.level + 1];
  }
}

/** The child at `index`, or null. */
export function childAt(parent: GptNode, index: number): GptNode | null {
  return parent.slots![index];
}

/** Create the child at `index` and link it in address order. The child starts unbacked. */
export function addChild(parent: GptNode, index: number): GptNode {
  const slots = parent.slots!;
  assert(slots[index] === null, 'gpt: child already exists');
  const child = new GptNode(parent.level - 1, index, parent.base + index * SPAN[parent.level]);
  let prev: GptNode | null = null;
  for (let i = index - 1; i >= 0; i--) {
    if (slots[i] !== null) {
      prev = slots[i];
      break;
    }
  }
  child.parent = parent;
  child.prev = prev;
  child.next = prev !== null ? prev.next : parent.child;
  if (child.next !== null) child.next.prev = child;
  if (prev !== null) prev.next = child;
  else parent.child = child;
  slots[index] = child;
  return child;
}

/** Unlink a childless node from its parent and siblings. */
export function unlinkChild(node: GptNode): void {
  const parent = node.parent;
  assert(parent !== null, 'gpt: unlinking the root');
  assert(node.child === null, 'gpt: freeing a table that still has children');
  if (node.prev !== null) node.prev.next = node.next;
  else parent.child = node.next;
  if (node.next !== null) node.next.prev = node.prev;
  parent.slots![node.index] = null;
  node.parent = node.next = node.prev = null;
}

/* ---- coverage bitmap of a leaf-table node ---- */

export const isCovered = (node: GptNode, index: number): boolean =>
  (node.cover![index >>> 5] & (1 << (index & 31))) !== 0;

/** Mark entries [first, first + count) covered; asserts none was (mappings never overlap). */
export function coverRange(node: GptNode, first: number, count: number): void {
  const cover = node.cover!;
  for (let i = first; i < first + count; i++) {
    const m = 1 << (i & 31);
    assert((cover[i >>> 5] & m) === 0, 'gpt: populating an entry that is already populated');
    cover[i >>> 5] |= m;
  }
}

/** Mark entries [first, first + count) uncovered; asserts each was covered. */
export function uncoverRange(node: GptNode, first: number, count: number): void {
  const cover = node.cover!;
  for (let i = first; i < first + count; i++) {
    const m = 1 << (i & 31);
    assert((cover[i >>> 5] & m) !== 0, 'gpt: vacating an entry that is not populated');
    cover[i >>> 5] &= ~m;
  }
}

const popcount = (words: Uint32Array): number => {
  let n = 0;
  for (const w of words) {
    let v = w;
    while (v !== 0) {
      v &= v - 1;
      n++;
    }
  }
  return n;
};

export const coveredCount = (node: GptNode): number => popcount(node.cover!);

/* ---- pages whose dirty leaf was cleared behind the vmspace's back ---- */

/** Record page `index` as dirty-but-lost; returns true when it was not recorded yet. */
export function markLostDirty(node: GptNode, index: number): boolean {
  const lost = node.lostDirty!;
  const m = 1 << (index & 31);
  if ((lost[index >>> 5] & m) !== 0) return false;
  lost[index >>> 5] |= m;
  node.lostCount++;
  return true;
}

/**
 * Move the lost-dirty bits of entries [first, first + count) into `into` (same bit layout, other
 * words untouched) and clear them in the node; returns how many moved.
 */
export function takeLostDirty(node: GptNode, first: number, count: number, into: Uint32Array | null): number {
  const lost = node.lostDirty!;
  let moved = 0;
  for (let i = first; i < first + count && node.lostCount > 0; i++) {
    const m = 1 << (i & 31);
    if ((lost[i >>> 5] & m) === 0) continue;
    lost[i >>> 5] &= ~m;
    node.lostCount--;
    if (into !== null) into[i >>> 5] |= m;
    moved++;
  }
  return moved;
}

export const lostDirtyCount = (node: GptNode): number => popcount(node.lostDirty!);

/** Set the dirty hint of `node` and of every node above it (stops at the first that has it). */
export function hintDirty(node: GptNode): void {
  for (let n: GptNode | null = node; n !== null && !n.dirtyHint; n = n.parent) n.dirtyHint = true;
}

/** Every node under (and including) `node`, parents before children, in address order. */
export function* subtree(node: GptNode): Generator<GptNode> {
  yield node;
  for (let c = node.child; c !== null; c = c.next) yield* subtree(c);
}
