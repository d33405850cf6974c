/*
 * The GPT's tree of tables: populating and vacating regions, backing nodes with host frames, and
 * giving frames back.
 *
 * This is the bookkeeping half of the GPT (the other half, gpt.ts, writes leaves). It owns the tree
 * of GptNodes and is the only code that allocates or frees table frames (TablePool.alloc/free),
 * writes table pointers (pmap.installTable/clearTable) or touches reference counts.
 *
 * Populate before map; unmap before vacate (the seed's rule):
 *   populate(gpa, len)  makes sure a node exists for every table on the path to every page of the
 *                       range, and counts the pages as covered in their leaf-table nodes (refcount
 *                       += covered entries). Nodes it creates are backed at once when a frame can
 *                       be had; under memory pressure they stay unbacked and are backed on demand.
 *   vacate(gpa, len)    uncounts the pages (refcount -= covered entries); a node whose count drops
 *                       to zero is removed and its frame freed, and so on up the tree (the root
 *                       stays until free). Lost-dirty records of the pages go with them.
 * Both check the whole range before changing anything, so a refused call (assert) leaves the tree
 * as it was.
 *
 * Backing and un-backing (see gpt-node.ts for why a node can be unbacked):
 *   back(node)     allocate a frame, carry the stashed refcount into its descriptor, install the
 *                  table pointer in the (backed) parent. Returns false when memory is exhausted.
 *   unback(node)   the table pool stole the node's leaf table: stash the refcount, clear the
 *                  pointer in the parent, forget the frame. The node stays in the tree.
 *
 * Invariants kept here (checked always where cheap, swept by gpt-check.ts):
 *  - refcounts never underflow (the pmap descriptor asserts; the stash asserts here);
 *  - populate never covers an entry twice and vacate never uncovers one that is not covered;
 *  - a vacated entry holds no present leaf ("unmap before vacate");
 *  - a node is removed only with refcount 0 and no children, and its table holds no entries;
 *  - byFrame maps exactly the frames of backed nodes to their nodes;
 *  - lostDirtyPages is the number of lost-dirty bits over all leaf nodes;
 *  - frameEpoch moves on whenever a node loses its frame (unback, release, the root's free), so
 *    an entry address noted while frameEpoch had its current value is still the entry of the
 *    same page in the same table (a dirty ring's leaf hints rely on it, mmu/vm/dirty-ring.ts).
 *
 * Re-entrancy: pool.alloc may steal one of our own leaf tables (calling Gpt.stealLeafTable, which
 * calls unback) in the middle of populate or back. Nothing here holds a frame number across an
 * alloc, and tables populate has just allocated are pinned until it returns.
 */

import type { Gpa, Hfn } from '../addr.js';
import { assert } from '../checks.js';
import type { EventSink, MmuEvent } from '../events.js';
import type { HostMemory } from '../host/host-memory.js';
import type { Pmap } from '../host/pmap.js';
import type { TablePool } from '../host/table-pool.js';
import type { EntryFormat } from './entry-format.js';
import { newWords } from './entry-format.js';
import {
  ENTRIES_PER_TABLE,
  GPA_LIMIT,
  LEAF_LEVEL,
  ROOT_LEVEL,
  SPAN,
  entryAddr,
  levelIndex,
} from './gpt-geometry.js';
import {
  GptNode,
  NO_FRAME,
  addChild,
  childAt,
  coverRange,
  hintDirty,
  isCovered,
  markLostDirty,
  subtree,
  takeLostDirty,
  uncoverRange,
  unlinkChild,
} from './gpt-node.js';
import { PAGE_SIZE } from '../addr.js';

/**
 * Either way the region is populated (its nodes exist, its pages are counted). 'exhausted' says
 * that `unbacked` tables could not be given a frame now; mapAt backs them on demand and reports
 * 'exhausted' itself if memory is still short then.
 */
export type PopulateResult = { kind: 'ok' } | { kind: 'exhausted'; unbacked: number };

export function assertRange(gpa: number, len: number, what: string): void {
  assert(gpa % PAGE_SIZE === 0 && len % PAGE_SIZE === 0, `${what}: range must be page-aligned`);
  assert(gpa >= 0 && len > 0 && gpa + len <= GPA_LIMIT, `${what}: range outside the guest-physical space`);
}

export class GptTables {
  readonly root: GptNode;
  /** Pages recorded in the lostDirty bitmaps of all leaf nodes. */
  lostDirtyPages = 0;
  /** Moves on each time a table frame leaves its node (see the invariants). */
  frameEpoch = 0;
  private readonly lostScratch = new Uint32Array(ENTRIES_PER_TABLE / 32);
  private readonly byFrame = new Map<number, GptNode>();
  private readonly w = newWords();
  private readonly u32: Uint32Array;

  constructor(
    private readonly fmt: EntryFormat,
    mem: HostMemory,
    private readonly pmap: Pmap,
    private readonly pool: TablePool,
    private readonly ownerId: number,
    private readonly sink: EventSink<MmuEvent>,
  ) {
    this.u32 = mem.u32;
    this.root = new GptNode(ROOT_LEVEL, 0, 0);
    const f = pool.alloc(ownerId, ROOT_LEVEL, 0 as Gpa);
    if (f === -1) throw new Error('gpt: no host frame for the root table (host memory exhausted)');
    this.root.frame = f;
    this.byFrame.set(f, this.root);
    this.emitTable('table-alloc', this.root);
  }

  nodeOfFrame(f: number): GptNode | undefined {
    return this.byFrame.get(f);
  }

  get tableCount(): number {
    return this.byFrame.size;
  }

  /* ---- reference counts: pmap descriptor while backed, stash while not ---- */

  refs(node: GptNode): number {
    return node.frame !== NO_FRAME ? this.pmap.refcount(node.frame) : node.stash;
  }

  adjustRefs(node: GptNode, delta: number): number {
    if (node.frame !== NO_FRAME) return this.pmap.adjustRefcount(node.frame, delta);
    assert(node.stash + delta >= 0, 'refcount underflow');
    node.stash += delta;
    return node.stash;
  }

  /* ---- backing ---- */

  back(node: GptNode): boolean {
    const parent = node.parent!;
    assert(parent.frame !== NO_FRAME && node.frame === NO_FRAME, 'gpt: backing a node out of order');
    const f = this.pool.alloc(this.ownerId, node.level, node.base as Gpa);
    if (f === -1) return false;
    node.frame = f;
    this.byFrame.set(f, node);
    if (node.stash !== 0) this.pmap.adjustRefcount(f, node.stash);
    node.stash = 0;
    this.fmt.table(this.w, f);
    this.pmap.installTable(entryAddr(parent.frame, node.index), this.w.lo, this.w.hi);
    this.emitTable('table-alloc', node);
    return true;
  }

  /** The pool is taking this leaf table (its leaves already cleared); keep the node, lose the frame. */
  unback(node: GptNode): void {
    const f = node.frame;
    assert(f !== NO_FRAME && node.level === LEAF_LEVEL, 'gpt: un-backing something not a backed leaf table');
    const refs = this.pmap.refcount(f);
    this.pmap.adjustRefcount(f, -refs);
    node.stash = refs;
    this.pmap.clearTable(entryAddr(node.parent!.frame, node.index));
    this.byFrame.delete(f);
    node.frame = NO_FRAME;
    this.frameEpoch++;
    if (this.sink.enabled)
      this.sink.emit({ type: 'table-unbacked', level: node.level, base: node.base, reason: 'stolen' });
  }

  /** Remove a node whose refcount is zero, free its frame, and prune ancestors that become empty. */
  release(node: GptNode): void {
    assert(this.refs(node) === 0, 'gpt: freeing a table that is still referenced');
    assert(node.child === null, 'gpt: freeing a table that still has children');
    const parent = node.parent!;
    if (node.frame !== NO_FRAME) {
      this.pmap.clearTable(entryAddr(parent.frame, node.index));
      this.byFrame.delete(node.frame);
      this.pool.unpin(node.frame);
      this.pool.free(node.frame);
      this.emitTable('table-free', node);
      node.frame = NO_FRAME;
      this.frameEpoch++;
    }
    unlinkChild(node);
    if (this.adjustRefs(parent, -1) === 0 && parent !== this.root) this.release(parent);
  }

  /* ---- lookup ---- */

  /** The node of the level-`level` table covering gpa, or null when not populated. */
  findNode(gpa: number, level: number): GptNode | null {
    let node: GptNode | null = this.root;
    for (let l = ROOT_LEVEL; l > level && node !== null; l--) node = childAt(node, levelIndex(l, gpa));
    return node;
  }

  /**
   * The leaf-table node for gpa with every table on its path backed (backing them as needed):
   * 'unpopulated' when populate never covered the page (then nothing is allocated), 'exhausted'
   * when a frame could not be had.
   */
  backedLeafNode(gpa: number): GptNode | 'unpopulated' | 'exhausted' {
    const leaf = this.findNode(gpa, LEAF_LEVEL);
    if (leaf === null || !isCovered(leaf, levelIndex(LEAF_LEVEL, gpa))) return 'unpopulated';
    let node = this.root;
    for (let l = ROOT_LEVEL; l > LEAF_LEVEL; l--) {
      const child = childAt(node, levelIndex(l, gpa))!;
      if (child.frame === NO_FRAME && !this.back(child)) return 'exhausted';
      node = child;
    }
    return node;
  }

  /* ---- dirty pages lost to disconnect or steal (see gpt-node.ts lostDirty) ---- */

  /** Record that the dirty leaf at page `index` of leaf node `node` was cleared behind our back. */
  noteLostDirty(node: GptNode, index: number): void {
    if (markLostDirty(node, index)) this.lostDirtyPages++;
    hintDirty(node);
  }

  /**
   * Take the lost-dirty pages of [from, to) (inside one leaf table) for a harvest: their bits in
   * the returned 16-word scratch mask (valid until the next call), or null when there are none.
   */
  takeLostDirty(from: number, to: number): Uint32Array | null {
    if (this.lostDirtyPages === 0) return null;
    const leaf = this.findNode(from, LEAF_LEVEL);
    return leaf === null ? null : this.takeLostDirtyOf(leaf, from, to);
  }

  /** takeLostDirty for [from, to) inside the table of leaf node `leaf`. */
  takeLostDirtyOf(leaf: GptNode, from: number, to: number): Uint32Array | null {
    if (leaf.lostCount === 0) return null;
    this.lostScratch.fill(0);
    const moved = takeLostDirty(
      leaf,
      levelIndex(LEAF_LEVEL, from),
      (to - from) / PAGE_SIZE,
      this.lostScratch,
    );
    this.lostDirtyPages -= moved;
    return moved > 0 ? this.lostScratch : null;
  }

  /* ---- populate / vacate ---- */

  populate(gpa: number, len: number): PopulateResult {
    assertRange(gpa, len, 'gpt populate');
    const end = gpa + len;
    // check the whole range first, so that a refused populate changes nothing
    for (let at = gpa; at < end; at = this.chunkEnd(at, end)) {
      const leaf = this.findNode(at, LEAF_LEVEL);
      if (leaf === null) continue;
      const first = levelIndex(LEAF_LEVEL, at);
      const count = (this.chunkEnd(at, end) - at) / PAGE_SIZE;
      for (let i = first; i < first + count; i++)
        assert(!isCovered(leaf, i), 'gpt: populating an entry that is already populated');
    }
    const pinned: Hfn[] = [];
    let unbacked = 0;
    for (let at = gpa; at < end;) {
      const stop = this.chunkEnd(at, end);
      const leaf = this.ensurePath(at, pinned);
      if (leaf.frame === NO_FRAME) unbacked++;
      const count = (stop - at) / PAGE_SIZE;
      coverRange(leaf, levelIndex(LEAF_LEVEL, at), count);
      this.adjustRefs(leaf, count);
      at = stop;
    }
    for (const f of pinned) this.pool.unpin(f);
    if (this.sink.enabled) this.sink.emit({ type: 'populate', gpa, len });
    return unbacked === 0 ? { kind: 'ok' } : { kind: 'exhausted', unbacked };
  }

  /* Create (and try to back) every missing node on the path to gpa's leaf table. */
  private ensurePath(gpa: number, pinned: Hfn[]): GptNode {
    let node = this.root;
    for (let l = ROOT_LEVEL; l > LEAF_LEVEL; l--) {
      const index = levelIndex(l, gpa);
      let child = childAt(node, index);
      if (child === null) {
        child = addChild(node, index);
        this.adjustRefs(node, 1);
      }
      if (child.frame === NO_FRAME && node.frame !== NO_FRAME) {
        if (this.back(child)) {
          const f = child.frame as Hfn;
          if (child.level === LEAF_LEVEL) {
            this.pool.pin(f);
            pinned.push(f);
          }
        } else if (this.sink.enabled) {
          this.sink.emit({
            type: 'table-unbacked',
            level: child.level,
            base: child.base,
            reason: 'exhausted',
          });
        }
      }
      node = child;
    }
    return node;
  }

  vacate(gpa: number, len: number): void {
    assertRange(gpa, len, 'gpt vacate');
    const end = gpa + len;
    // check the whole range first, so that a refused vacate changes nothing
    for (let at = gpa; at < end; at = this.chunkEnd(at, end)) {
      const leaf = this.findNode(at, LEAF_LEVEL);
      assert(leaf !== null, 'gpt: vacating a region that is not populated');
      const first = levelIndex(LEAF_LEVEL, at);
      const count = (this.chunkEnd(at, end) - at) / PAGE_SIZE;
      for (let i = first; i < first + count; i++)
        assert(isCovered(leaf, i), 'gpt: vacating an entry that is not populated');
      if (leaf.frame !== NO_FRAME) this.assertNoLeaves(leaf.frame, first, count);
    }
    for (let at = gpa; at < end; at = this.chunkEnd(at, end)) {
      const leaf = this.findNode(at, LEAF_LEVEL)!;
      const first = levelIndex(LEAF_LEVEL, at);
      const count = (this.chunkEnd(at, end) - at) / PAGE_SIZE;
      this.lostDirtyPages -= takeLostDirty(leaf, first, count, null); // the region is gone
      uncoverRange(leaf, first, count);
      if (this.adjustRefs(leaf, -count) === 0) this.release(leaf);
    }
    if (this.sink.enabled) this.sink.emit({ type: 'vacate', gpa, len });
  }

  /** End of the part of [at, end) inside at's leaf table. */
  private chunkEnd(at: number, end: number): number {
    return Math.min(end, at - (at % SPAN[2]) + SPAN[2]);
  }

  private assertNoLeaves(table: number, first: number, count: number): void {
    for (let i = first; i < first + count; i++) {
      const w = entryAddr(table, i) >>> 2;
      assert(!this.fmt.isPresent(this.u32[w], this.u32[w + 1]), 'gpt: vacating a page that is still mapped');
    }
  }

  /** Drop every node and the root's frame (leaves must already be unmapped). */
  freeAll(): void {
    const leaves = [...subtree(this.root)].filter((n) => n.level === LEAF_LEVEL);
    for (const leaf of leaves) {
      if (leaf.frame !== NO_FRAME) this.assertNoLeaves(leaf.frame, 0, 512);
      this.lostDirtyPages -= takeLostDirty(leaf, 0, 512, null);
      leaf.cover!.fill(0);
      this.adjustRefs(leaf, -this.refs(leaf));
      this.release(leaf);
    }
    // interior nodes left childless by unbacked subtrees are released by the cascade; what remains
    // is the root alone
    const rootFrame = this.root.frame;
    assert(
      this.root.child === null && rootFrame !== NO_FRAME,
      'gpt: freeing a table that still has children',
    );
    this.byFrame.delete(rootFrame);
    this.pool.free(rootFrame);
    this.emitTable('table-free', this.root);
    this.root.frame = NO_FRAME;
    this.frameEpoch++;
  }

  private emitTable(type: 'table-alloc' | 'table-free', node: GptNode): void {
    if (this.sink.enabled) this.sink.emit({ type, hfn: node.frame, level: node.level, base: node.base });
  }
}
