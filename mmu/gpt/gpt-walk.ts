/*
 * Walking the nested page table as the hardware does: reading entries from host RAM.
 *
 * These functions never look at the GPT's bookkeeping nodes. They start at the root frame, read each
 * entry from the Uint32Array view on host RAM, and follow table pointers by their frame number,
 * exactly as a nested walk by the CPU would. So what they see is what the hardware would see: a
 * table that is populated in the bookkeeping but currently unbacked (stolen, or not yet allocated)
 * is simply absent here.
 *
 * A walk path records, for each level L (4 = root .. 1 = leaf table), the host-physical address of
 * the entry that the address selects at that level, or NO_ENTRY when the walk stopped above L
 * because the entry at L + 1 was not present:
 *
 *   path[4] -> root entry ─► path[3] -> level-3 entry ─► path[2] -> level-2 entry ─► path[1] -> leaf slot
 *
 * Invariants:
 *  - nothing here writes host RAM, and nothing but describeWalk() (for display) allocates:
 *    translate() is the TLB-fill fast path.
 *  - an address outside [0, 2^48) is never folded into the tree: translate() reports it as not
 *    present at the root, leafTable()/leafSlot() find nothing (a guest can name such an address).
 *  - path[L] is either NO_ENTRY or an 8-aligned address inside a table frame; once a level is
 *    NO_ENTRY every lower level is too.
 *  - walkAdvance moves to the next leaf slot in address order, skipping whole absent subtrees, and
 *    leaves `path` exactly as walk() would have filled it for the returned address.
 */

import { hfn, hpa, type Hfn, type Hpa } from '../addr.js';
import { assert } from '../checks.js';
import type { AccessKind, Prot } from '../prot.js';
import { PROT_EXEC, PROT_READ, PROT_WRITE } from '../prot.js';
import type { DecodedEntry, EntryFormat } from './entry-format.js';
import {
  GPA_END,
  GPA_LIMIT,
  LAST_INDEX,
  LEAF_LEVEL,
  ROOT_LEVEL,
  SPAN,
  entryAddr,
  indexOfPte,
  levelIndex,
} from './gpt-geometry.js';

export const NO_ENTRY = -1;

/** Entry locations per level; index 0 is unused. Float64 because an Hpa can exceed 2^31. */
export type WalkPath = Float64Array;
export const newWalkPath = (): WalkPath => new Float64Array(ROOT_LEVEL + 1).fill(NO_ENTRY);

/*
 * translate() result codes. A non-negative result is the host-physical address of the leaf entry.
 *   -4 .. -1   the entry at that level (4 = root table .. 1 = leaf) is not present
 *   TX_RIGHTS  the leaf is present but does not grant the access
 */
export const TX_RIGHTS = -5;
export const txMissLevel = (code: number): number => (code < 0 && code >= -ROOT_LEVEL ? -code : 0);

/** Table frame named by the entry at pte if it is present, else NO_ENTRY. */
function nextTable(u32: Uint32Array, fmt: EntryFormat, pte: number): number {
  const w = pte >>> 2;
  const lo = u32[w];
  const hi = u32[w + 1];
  return fmt.isPresent(lo, hi) ? fmt.frameOf(lo, hi) : NO_ENTRY;
}

/** Fill path for gpa down to the leaf slot; returns the lowest level reached (1 = leaf slot found). */
export function walk(u32: Uint32Array, fmt: EntryFormat, root: number, gpa: number, path: WalkPath): number {
  assert(gpa >= 0 && gpa < GPA_LIMIT, 'gpt walk: address beyond the guest-physical space');
  let table = root;
  let reached = ROOT_LEVEL;
  for (let level = ROOT_LEVEL; level >= LEAF_LEVEL; level--) {
    if (table === NO_ENTRY) {
      path[level] = NO_ENTRY;
      continue;
    }
    const pte = entryAddr(table, levelIndex(level, gpa));
    path[level] = pte;
    reached = level;
    if (level > LEAF_LEVEL) table = nextTable(u32, fmt, pte);
  }
  return reached;
}

/** Frame of the leaf table covering gpa, or NO_ENTRY when the hardware would find none. */
export function leafTable(u32: Uint32Array, fmt: EntryFormat, root: number, gpa: number): number {
  if (!(gpa >= 0 && gpa < GPA_LIMIT)) return NO_ENTRY;
  let table = root;
  for (let level = ROOT_LEVEL; level > LEAF_LEVEL; level--) {
    table = nextTable(u32, fmt, entryAddr(table, levelIndex(level, gpa)));
    if (table === NO_ENTRY) return NO_ENTRY;
  }
  return table;
}

/** The leaf slot for gpa (present or not), or NO_ENTRY when no leaf table covers it. */
export function leafSlot(u32: Uint32Array, fmt: EntryFormat, root: number, gpa: number): number {
  const table = leafTable(u32, fmt, root, gpa);
  return table === NO_ENTRY ? NO_ENTRY : entryAddr(table, levelIndex(LEAF_LEVEL, gpa));
}

/**
 * Given `path` as walk() filled it for the leaf slot at gpa (page-aligned), move to the next leaf
 * slot that exists: step within the leaf table when possible, otherwise climb to the lowest level
 * that has a next entry, step there, and walk back down. Returns the new address (path[1] may be
 * NO_ENTRY when the step landed on an absent subtree), or GPA_END past the last root entry.
 */
export function walkAdvance(u32: Uint32Array, fmt: EntryFormat, gpa: number, path: WalkPath): number {
  let level = LEAF_LEVEL;
  for (; level <= ROOT_LEVEL; level++) {
    const pte = path[level];
    if (pte !== NO_ENTRY && indexOfPte(pte) !== LAST_INDEX) break;
  }
  if (level > ROOT_LEVEL) return GPA_END;
  path[level] += 8;
  const next = gpa - (gpa % SPAN[level]) + SPAN[level];
  for (let l = level - 1; l >= LEAF_LEVEL; l--) {
    const table = path[l + 1] === NO_ENTRY ? NO_ENTRY : nextTable(u32, fmt, path[l + 1]);
    path[l] = table === NO_ENTRY ? NO_ENTRY : entryAddr(table, levelIndex(l, next));
  }
  return next;
}

/**
 * What translate() learnt about a leaf that grants the access, decoded once: where the entry is,
 * the frame it names, its rights and its Dirty state (before the caller's A/D update). The caller
 * owns one record and passes it to every translate() it makes, so a fill allocates nothing here.
 */
export interface TranslatedLeaf {
  /** Host-physical address of the leaf entry. */
  pte: Hpa;
  frame: Hfn;
  prot: Prot;
  dirty: boolean;
}
export const newTranslatedLeaf = (): TranslatedLeaf => ({
  pte: hpa(NO_ENTRY),
  frame: hfn(0),
  prot: 0,
  dirty: false,
});

/**
 * The nested-walk fast path for a TLB fill: the leaf entry location for gpa when the leaf is
 * present and grants `access`, else a miss code (-level not present, TX_RIGHTS). On a hit, `out`
 * (when given) receives the decoded leaf. Reads four entries; allocates nothing; sets no A/D bits
 * (the caller does, through the Gpt).
 */
export function translate(
  u32: Uint32Array,
  fmt: EntryFormat,
  root: number,
  gpa: number,
  access: AccessKind,
  out?: TranslatedLeaf,
): number {
  if (!(gpa >= 0 && gpa < GPA_LIMIT)) return -ROOT_LEVEL; // beyond the 48 bits a 4-level walk translates
  let table = root;
  for (let level = ROOT_LEVEL; level > LEAF_LEVEL; level--) {
    table = nextTable(u32, fmt, entryAddr(table, levelIndex(level, gpa)));
    if (table === NO_ENTRY) return -level;
  }
  const pte = entryAddr(table, levelIndex(LEAF_LEVEL, gpa));
  const w = pte >>> 2;
  const lo = u32[w];
  const hi = u32[w + 1];
  if (!fmt.isPresent(lo, hi)) return -LEAF_LEVEL;
  const need = access === 'read' ? PROT_READ : access === 'write' ? PROT_WRITE : PROT_EXEC;
  const prot = fmt.protOf(lo, hi);
  if ((prot & need) === 0) return TX_RIGHTS;
  if (out !== undefined) {
    out.pte = hpa(pte);
    out.frame = fmt.frameOf(lo, hi);
    out.prot = prot;
    out.dirty = fmt.isDirty(lo, hi);
  }
  return pte;
}

/** One level of a walk, for display: where the entry is, and what its bits say. */
export interface WalkStep {
  level: number;
  pte: number;
  decoded: DecodedEntry;
}

/**
 * The entries a nested walk of gpa reads, root first, decoded as the manuals draw them (the last
 * step is the leaf, or the first entry found not present). For the TUI and for labs; allocates.
 */
export function describeWalk(u32: Uint32Array, fmt: EntryFormat, root: number, gpa: number): WalkStep[] {
  const steps: WalkStep[] = [];
  if (!(gpa >= 0 && gpa < GPA_LIMIT)) return steps;
  let table = root;
  for (let level = ROOT_LEVEL; level >= LEAF_LEVEL; level--) {
    const pte = entryAddr(table, levelIndex(level, gpa));
    const lo = u32[pte >>> 2];
    const hi = u32[(pte >>> 2) + 1];
    steps.push({ level, pte, decoded: fmt.decode(lo, hi, level === LEAF_LEVEL ? 'leaf' : 'table') });
    if (!fmt.isPresent(lo, hi)) break;
    table = fmt.frameOf(lo, hi);
  }
  return steps;
}
