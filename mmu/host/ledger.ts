/*
 * The ledger: what each table owner (one GPT, i.e. one vmspace) is charged for.
 *
 *   tableFrames[o]    host frames holding o's page tables (credited by setDescriptor)
 *   mappedEntries[o]  leaves installed in o's tables (credited by installLeaf)
 *
 * The seed charges a pmap's page-table pages and descriptors to its task's ledger; here the owner
 * is the unit and the charge is counted in frames and entries. Plain arrays indexed by owner id:
 * owners are few and the arrays only grow at registration, never on a map.
 *
 * Invariant: no count goes below zero; the pmap's full check recomputes both from the descriptors
 * and the installed-entry record.
 */

import { assert } from '../checks.js';

export class Ledger {
  readonly tableFrames: number[] = [0];
  readonly mappedEntries: number[] = [0];

  open(ownerId: number): void {
    this.tableFrames[ownerId] = 0;
    this.mappedEntries[ownerId] = 0;
  }

  isIdle(ownerId: number): boolean {
    return this.tableFrames[ownerId] === 0 && this.mappedEntries[ownerId] === 0;
  }

  creditTable(o: number): void {
    this.tableFrames[o]++;
  }

  debitTable(o: number): void {
    assert(this.tableFrames[o] > 0, 'ledger: table frames below zero');
    this.tableFrames[o]--;
  }

  creditEntry(o: number): void {
    this.mappedEntries[o]++;
  }

  debitEntry(o: number): void {
    assert(this.mappedEntries[o] > 0, 'ledger: mapped entries below zero');
    this.mappedEntries[o]--;
  }
}
