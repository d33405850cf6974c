/*
 * Geometry of the 4-level nested page table: which entry of which table a guest-physical address
 * selects, and how much address space an entry covers.
 *
 *   guest-physical address (48 bits)
 *   47        39 38        30 29        21 20        12 11           0
 *  +------------+------------+------------+------------+--------------+
 *  |  level 4   |  level 3   |  level 2   |  level 1   | page offset  |
 *  |   index    |   index    |   index    |   index    |              |
 *  +------------+------------+------------+------------+--------------+
 *   root table (PML4 / level-0 descriptor table)  ...  leaf table (PT / level-3 table)
 *
 * Levels are numbered as the host pmap numbers them (mmu/host/table-descriptors.ts): 4 is the root,
 * 1 is a leaf table, whose entries map 4 KiB pages. An entry at level L covers SPAN[L] bytes, and a
 * whole table at level L covers SPAN[L + 1] = 512 * SPAN[L].
 *
 * Addresses go up to 2^48, above 2^32, so they are never shifted: an index is
 * `(gpa / SPAN[L]) & 511`, which truncates the quotient and keeps its low 9 bits exactly for any
 * non-negative address below 2^53.
 *
 * Invariants: GPA_LIMIT = SPAN[5] = 2^48; every span is a power of two and a multiple of PAGE_SIZE.
 */

import type { Hpa } from '../addr.js';
import { PAGE_SIZE } from '../addr.js';

export const LEVELS = 4;
export const ROOT_LEVEL = 4;
export const LEAF_LEVEL = 1;
export const ENTRIES_PER_TABLE = 512;
export const LAST_INDEX = ENTRIES_PER_TABLE - 1;
export const PTE_BYTES = 8;

/** Bytes covered by one entry at level L (index 0 unused; SPAN[5] is a whole root table). */
export const SPAN: readonly number[] = [0, 2 ** 12, 2 ** 21, 2 ** 30, 2 ** 39, 2 ** 48];

/** One past the highest guest-physical address the tree can translate. */
export const GPA_LIMIT = 2 ** 48;

/** "Advanced off the end" marker returned by walk-advance and the iterators. */
export const GPA_END = GPA_LIMIT;

/** Index of gpa's entry in a level-L table. */
export const levelIndex = (level: number, gpa: number): number => (gpa / SPAN[level]) & LAST_INDEX;

/** Start of the level-L entry that contains gpa. */
export const entryBase = (level: number, gpa: number): number => gpa - (gpa % SPAN[level]);

/** Start of the level-L table that contains gpa (the table spans SPAN[level + 1]). */
export const tableBase = (level: number, gpa: number): number => gpa - (gpa % SPAN[level + 1]);

/** Host-physical address of entry `index` of the table in frame `table`. */
export const entryAddr = (table: number, index: number): Hpa =>
  (table * PAGE_SIZE + index * PTE_BYTES) as Hpa;

/** Index of the entry at host-physical address pte within its table. */
export const indexOfPte = (pte: number): number => (pte & 0xfff) >>> 3;
