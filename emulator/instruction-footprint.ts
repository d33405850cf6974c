/*
 * The most one guest instruction can touch at once, and so the least host memory in which every
 * instruction can retire. A steal or an eviction never takes what the instruction in flight has
 * filled (mmu/host/pinned-since-retire.ts), so an instruction retires exactly when host memory
 * holds its whole footprint beside the tables that are never stolen.
 *
 * Pages one instruction touches, at most (each translated page is a guest-physical page):
 *
 *                         x86-64                               arm64
 *   fetch                 2   up to 15 bytes, across a page    1   4 bytes, aligned
 *   data                  4   two operands (movs, push [m]),   2   one access (ldp/stp of 16
 *                             each across a page                   bytes) across a page
 *   translations  T       6                                    3
 *   guest tables          1 + 3T = 19  (one CR3 root, then     2 + 3T = 11  (TTBR0 and TTBR1
 *   (guest paging on)     three levels per walk)               roots, three levels per walk)
 *   pages  P              25                                   14
 *
 * Nested tables: every page needs its leaf table and the path above it. The interior tables (root,
 * level 3 and level 2) are never stolen and are the same for the whole run: the ones the vmspace's
 * mappings populate (`interior`). The leaf tables one instruction needs are at most P, one per page
 * in the worst case, and never more than the mappings have (`leafTables`): a 16 MiB guest has only
 * nine of them on x86-64 (eight for RAM, one for the DMA window).
 *
 *   least host memory = guest RAM + PAGE_SIZE x (interior + min(P, leafTables))
 *
 * (and never below the table pool's own minimum, its reserve and a root). The CLI refuses a
 * --host-mem below it and says the figure (cli/guest-options.ts); a library Machine accepts less,
 * down to the pool's minimum, and then an instruction that cannot fit stops the guest at once with
 * the fault value 'exhausted' (exit 4) instead of spinning.
 *
 * The fault-storm guard: an instruction takes at most P nested faults when nothing it filled is
 * taken from it. FAULT_STORM_LIMIT, four times the larger P, is far above anything a working run
 * sees; that many faults in a row without a retired instruction stop the run with the value
 * 'storm' (exit 4), a backstop should anything ever make faults undo each other again.
 */
import { PAGE_SIZE } from '../mmu/addr.js';
import { LEVELS } from '../mmu/gpt/gpt-geometry.js';
import type { Arch } from './arch.js';

export interface Footprint {
  readonly fetch: number;
  readonly data: number;
  /** Guest-physical pages the walks of one instruction read while the guest pages. */
  readonly tablePages: number;
  /** All guest-physical pages one instruction touches at most (guest paging on). */
  readonly pages: number;
}

const SHAPE: Record<Arch, { fetch: number; data: number; roots: number }> = {
  x86_64: { fetch: 2, data: 4, roots: 1 },
  arm64: { fetch: 1, data: 2, roots: 2 },
};

export function instructionFootprint(arch: Arch): Footprint {
  const { fetch, data, roots } = SHAPE[arch];
  const translations = fetch + data;
  const tablePages = Math.min(roots, translations) + (LEVELS - 1) * translations;
  return { fetch, data, tablePages, pages: translations + tablePages };
}

/** Nested faults in a row, with no instruction retired, that end the run as a 'storm'. */
export const FAULT_STORM_LIMIT =
  4 * Math.max(instructionFootprint('x86_64').pages, instructionFootprint('arm64').pages);

/** The nested tables a vmspace's mappings populate: interior (never stolen) and leaf tables. */
export interface PopulatedTables {
  readonly interior: number;
  readonly leafTables: number;
}

export interface HostMinimum {
  /** Least host memory in bytes: guest RAM and `tableFrames` frames. */
  readonly bytes: number;
  readonly tableFrames: number;
  readonly interior: number;
  /** Leaf tables one instruction may need at once. */
  readonly leafTables: number;
  readonly footprint: Footprint;
}

/** The least host memory in which every instruction of an `arch` guest with `memBytes` of RAM can retire. */
export function hostMinimum(
  arch: Arch,
  memBytes: number,
  populated: PopulatedTables,
  poolMinimumFrames: number,
): HostMinimum {
  const footprint = instructionFootprint(arch);
  const leafTables = Math.min(footprint.pages, populated.leafTables);
  const tableFrames = Math.max(poolMinimumFrames, populated.interior + leafTables);
  return {
    bytes: memBytes + tableFrames * PAGE_SIZE,
    tableFrames,
    interior: populated.interior,
    leafTables,
    footprint,
  };
}

/** The one-line reason a --host-mem below the minimum is refused. */
export function minimumText(hostBytes: number, memBytes: number, m: HostMinimum): string {
  return (
    `--host-mem ${hostBytes} is too small: every instruction can retire only with at least ${m.bytes} ` +
    `(guest RAM ${memBytes} + ${m.tableFrames} page-table frames: ${m.interior} interior tables and ` +
    `${m.leafTables} leaf tables for the ${m.footprint.pages} pages one instruction may touch)`
  );
}
