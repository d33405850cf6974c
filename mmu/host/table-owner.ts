/*
 * Table owners: who a page-table frame belongs to.
 *
 * The host layer never parses a page-table entry: it does not know the entry formats (they live in
 * mmu/gpt, above it). When the host must act on entries (disconnect a frame, steal a leaf table) it
 * calls back the owner of the table, which knows the format and walks its own tree. An owner is
 * registered with the pmap and gets a small id (>= 1; 0 means "no owner"), recorded in the
 * descriptor of every table frame it uses and in its ledger.
 *
 * Protocol an owner must keep:
 *  - clearLeafEntry(pte): clear the present leaf at pte through pmap.clearLeaf (so PV and ledger
 *    follow), doing whatever its own bookkeeping needs (TLB generation, node valid counts).
 *  - stealLeafTable(t): clear every present leaf in leaf table t through pmap.clearLeaf, clear its
 *    parent's pointer through pmap.clearTable, forget the node; return how many leaves it cleared.
 *    It must not free t: the table pool takes the frame back itself.
 *  - validCount(t): present leaves in leaf table t (the steal threshold is compared with it).
 */

import type { Hfn, Hpa } from '../addr.js';

export interface TableOwner {
  readonly ownerId: number;
  clearLeafEntry(pte: Hpa): void;
  stealLeafTable(table: Hfn): number;
  validCount(table: Hfn): number;
}

/** What registerOwner needs: an owner before it knows its id. */
export type TableOwnerCallbacks = Omit<TableOwner, 'ownerId'>;

/** The "no owner" id stored in descriptors of frames that are not tables. */
export const NO_OWNER = 0;
