/*
 * The full invariant sweep of a GPT (run after every mutation when fullChecks() is on, and by tests).
 *
 * It compares the three records of the same tree with one another:
 *   the bookkeeping nodes (gpt-node.ts), the pmap's descriptors and counts (mmu/host), and the
 *   entries in host RAM that the hardware walks.
 *
 * Checked, for every node:
 *  - tree shape: children in increasing index order, prev/next/parent/slots consistent, each
 *    child's level and base follow from its parent; a non-root interior node has a child;
 *  - refcount (descriptor or stash) = number of children (interior) or covered entries (leaf table);
 *  - a backed node's frame is a pmap table owned by this GPT with the node's level and base, and
 *    maps back to the node; an unbacked node has only unbacked children; the root is backed;
 *  - host RAM: in an interior table, entry i is the format's table pointer to child i's frame
 *    (Accessed aside) when that child is backed, and zero otherwise; in a leaf table, every present entry is
 *    covered by a populated region, every other entry is zero, and the pmap's installed-leaf count
 *    equals the present entries (so validCount is exact);
 *  - where pointers carry Accessed (EPT, nPT), every pointer above an accessed leaf has it set;
 *  - lost-dirty pages are populated pages, and the counts (per node, per tree) match the bitmaps;
 *  - the pmap ledger charges this GPT exactly its backed tables and present leaves;
 * and finally the pmap's own sweep (PV lists agree with present leaves, and the rest).
 */

import { hfn, hpa } from '../addr.js';
import { assert } from '../checks.js';
import { newWords } from './entry-format.js';
import { ENTRIES_PER_TABLE, LEAF_LEVEL, ROOT_LEVEL, SPAN, entryAddr } from './gpt-geometry.js';
import type { GptNode } from './gpt-node.js';
import { coveredCount, isCovered, lostDirtyCount, subtree } from './gpt-node.js';
import type { Gpt } from './gpt.js';

export function checkGpt(gpt: Gpt): void {
  assert(!gpt.isFreed, 'gpt check: tree was freed');
  const root = gpt.tables.root;
  assert(
    root.backed && root.parent === null && root.level === ROOT_LEVEL && root.base === 0,
    'gpt check: bad root',
  );
  let backed = 0;
  let leaves = 0;
  let lost = 0;
  for (const node of subtree(root)) {
    checkShape(node);
    checkRefs(gpt, node);
    if (node.level === LEAF_LEVEL) lost += checkLostDirty(node);
    if (node.level === LEAF_LEVEL && node.lostCount > 0) checkHinted(node);
    if (!node.backed) {
      for (let c = node.child; c !== null; c = c.next)
        assert(!c.backed, 'gpt check: backed child of unbacked node');
      continue;
    }
    backed++;
    checkDescriptor(gpt, node);
    if (node.level > LEAF_LEVEL) checkPointers(gpt, node);
    else leaves += checkLeaves(gpt, node);
  }
  assert(gpt.tables.tableCount === backed, 'gpt check: frame map disagrees with backed nodes');
  assert(gpt.tables.lostDirtyPages === lost, 'gpt check: lost-dirty page count disagrees with the nodes');
  assert(gpt.pmap.tableFrames(gpt.ownerId) === backed, 'gpt check: ledger table count disagrees');
  assert(gpt.pmap.mappedEntries(gpt.ownerId) === leaves, 'gpt check: ledger mapped-entry count disagrees');
  gpt.pmap.checkInvariants();
}

function checkShape(node: GptNode): void {
  let prev: GptNode | null = null;
  let count = 0;
  for (let c = node.child; c !== null; c = c.next) {
    assert(c.parent === node && c.prev === prev, 'gpt check: sibling or parent link broken');
    assert(prev === null || prev.index < c.index, 'gpt check: children out of order');
    assert(node.slots![c.index] === c, 'gpt check: slot does not hold its child');
    assert(
      c.level === node.level - 1 && c.base === node.base + c.index * SPAN[node.level],
      'gpt check: child geometry',
    );
    prev = c;
    count++;
  }
  if (node.slots !== null) {
    assert(node.slots.filter((s) => s !== null).length === count, 'gpt check: stray slot');
    assert(node.level === ROOT_LEVEL || count > 0, 'gpt check: empty interior node left in the tree');
  } else {
    assert(node.child === null, 'gpt check: leaf table with children');
  }
}

function checkRefs(gpt: Gpt, node: GptNode): void {
  const refs = gpt.tables.refs(node);
  if (node.level > LEAF_LEVEL) {
    let children = 0;
    for (let c = node.child; c !== null; c = c.next) children++;
    assert(refs === children, `gpt check: interior refcount ${refs} != ${children} children`);
  } else {
    const covered = coveredCount(node);
    assert(refs === covered, `gpt check: leaf refcount ${refs} != ${covered} covered entries`);
  }
}

function checkLostDirty(node: GptNode): number {
  const n = lostDirtyCount(node);
  assert(node.lostCount === n, 'gpt check: lost-dirty count disagrees with its bitmap');
  for (let w = 0; w < node.cover!.length; w++)
    assert(
      (node.lostDirty![w] & ~node.cover![w]) === 0,
      'gpt check: lost-dirty page outside the populated region',
    );
  return n;
}

function checkDescriptor(gpt: Gpt, node: GptNode): void {
  const f = hfn(node.frame);
  const pmap = gpt.pmap;
  assert(pmap.isTable(f) && pmap.descOwner(f) === gpt.ownerId, 'gpt check: frame is not our table');
  assert(
    pmap.descLevel(f) === node.level && pmap.descBase(f) === node.base,
    'gpt check: descriptor level/base',
  );
  assert(gpt.tables.nodeOfFrame(node.frame) === node, 'gpt check: frame map does not lead back to the node');
}

function checkPointers(gpt: Gpt, node: GptNode): void {
  const u32 = gpt.mem.u32;
  const want = newWords();
  const seen = newWords();
  for (let i = 0; i < ENTRIES_PER_TABLE; i++) {
    const pte = entryAddr(node.frame, i);
    const lo = u32[pte >>> 2];
    const hi = u32[(pte >>> 2) + 1];
    const child = node.slots![i];
    if (child !== null && child.backed) {
      gpt.format.table(want, hfn(child.frame));
      gpt.format.clearAccessed(seen, lo, hi); // a walk may have set Accessed in the pointer
      assert(
        seen.lo === want.lo && seen.hi === want.hi,
        'gpt check: table pointer does not name the child frame',
      );
      assert(gpt.pmap.isTableInstalled(hpa(pte)), 'gpt check: pointer not installed in the pmap');
    } else {
      assert(lo === 0 && hi === 0, 'gpt check: entry without a backed child is not zero');
    }
  }
}

function checkLeaves(gpt: Gpt, node: GptNode): number {
  const u32 = gpt.mem.u32;
  let present = 0;
  for (let i = 0; i < ENTRIES_PER_TABLE; i++) {
    const w = entryAddr(node.frame, i) >>> 2;
    const lo = u32[w];
    const hi = u32[w + 1];
    if (gpt.format.isPresent(lo, hi)) {
      assert(isCovered(node, i), 'gpt check: leaf outside every populated region');
      if (gpt.format.isAccessed(lo, hi)) checkPathAccessed(gpt, node);
      if (gpt.format.isDirty(lo, hi)) checkHinted(node);
      present++;
    } else {
      assert(lo === 0 && hi === 0, 'gpt check: non-present leaf entry is not zero');
    }
  }
  assert(gpt.pmap.leafCount(hfn(node.frame)) === present, 'gpt check: pmap leaf count != present leaves');
  return present;
}

/* A dirty leaf or a lost-dirty bit under `node`: it and every node above it carry the dirty hint. */
function checkHinted(node: GptNode): void {
  for (let n: GptNode | null = node; n !== null; n = n.parent)
    assert(n.dirtyHint, 'gpt check: a dirty page lies below a table without the dirty hint');
}

/* A leaf with Accessed under `node`: with Accessed in pointers, every pointer down to node has it. */
function checkPathAccessed(gpt: Gpt, node: GptNode): void {
  if (!gpt.format.tablesAccessed) return;
  const u32 = gpt.mem.u32;
  for (let n = node; n.parent !== null; n = n.parent) {
    const pte = entryAddr(n.parent.frame, n.index);
    assert(
      gpt.format.isAccessed(u32[pte >>> 2], u32[(pte >>> 2) + 1]),
      'gpt check: an accessed leaf lies below a table pointer without Accessed',
    );
  }
}
