/*
 * The page-modification log of one vCPU, as Intel PML keeps it: a 512-entry buffer of
 * guest-physical page addresses, filled by the "hardware" (the fill hook) each time it sets a
 * nested leaf's Dirty bit, and emptied by the VMM.
 *
 *   entries  Float64Array(512)   one page address per slot (a 48-bit gpa fits a double exactly)
 *   hints    Float64Array(512)   per slot, the host address of the leaf entry the fill hook set
 *                                Dirty in, or NO_HINT (-1)
 *   epoch    GptTables.frameEpoch when the hints were noted
 *   count    0 .. 512            slots in use; the next append goes to entries[count]
 *
 * The hardware appends only on a Dirty 0 -> 1 transition, so a page is logged once until the next
 * harvest clears its Dirty bit again (or something else clears it: an unmap, a steal, an Accessed
 * reset; a later write then logs it again). When the append fills the last slot the log is full:
 * that is the "PML full" VM exit, whose handler (Vmspace.pmlFull) drains the log into the VMM's
 * dirty ring (dirty-ring.ts) before the guest goes on. A harvest drains every log too, full or
 * not, so that it sees every page dirtied so far.
 *
 * The hints are the VMM's addition (real PML records the GPA only): the fill hook has the leaf
 * entry in hand when it sets Dirty, so the log keeps where it lives, and a ring-mode harvest then
 * goes to that entry straight away instead of walking the tables from the root. A hint is valid
 * only while no table frame has left its node since it was noted (the epoch, gpt-tables.ts); an
 * append under a newer epoch turns the hints already logged into NO_HINT, so every hint of a log
 * belongs to its `epoch`.
 *
 * Real PML counts its index down from 511 and exits when it would go below 0; counting up is the
 * same log read the other way round, and the ring sorts what it takes anyway.
 *
 * Invariants: 0 <= count < PML_ENTRIES between calls (a full log is drained by the caller before
 * the next append); no allocation after construction.
 */

import type { Gpa, Hpa } from '../addr.js';
import { assert } from '../checks.js';

export const PML_ENTRIES = 512;
/** A log or ring slot whose leaf entry is not known (a page must be looked up from the root). */
export const NO_HINT = -1;

export class PmlLog {
  private readonly entries = new Float64Array(PML_ENTRIES);
  private readonly hintsOf = new Float64Array(PML_ENTRIES);
  private used = 0;
  /** The table epoch the hints belong to. */
  epoch = 0;

  get count(): number {
    return this.used;
  }

  /**
   * Log page gpa, whose leaf entry is at `pte` under table epoch `epoch`; true when the log is now
   * full (the caller takes the PML-full exit).
   */
  append(page: Gpa, pte: Hpa, epoch: number): boolean {
    assert(this.used < PML_ENTRIES, 'pml: append to a full log (the PML-full exit was not taken)');
    if (epoch !== this.epoch) {
      this.hintsOf.fill(NO_HINT, 0, this.used); // tables moved since: those entries may be elsewhere
      this.epoch = epoch;
    }
    this.hintsOf[this.used] = pte;
    this.entries[this.used++] = page;
    return this.used === PML_ENTRIES;
  }

  /** The leaf-entry hints of the logged pages, slot for slot (a view, like logged()). */
  hints(): Float64Array {
    return this.hintsOf.subarray(0, this.used);
  }

  /** The logged pages, oldest first (a view, valid until the next append or reset). */
  logged(): Float64Array {
    return this.entries.subarray(0, this.used);
  }

  /** Empty the log (after its entries went to the ring). */
  reset(): void {
    this.used = 0;
  }
}
