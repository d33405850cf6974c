/*
 * A record of what Unicorn's TLB may hold: every translation the fill hook granted since nestvm
 * last flushed that TLB (table enter after a generation change, emulator/machine.ts). It is what
 * `monitor info tlb` lists, as the fill hook granted it: the guest-virtual page, the host-physical
 * page it was pointed at, and the rights cached.
 *
 * "May hold": the engine also drops entries by itself (capacity, and the guest's own TLB
 * maintenance: a CR3 or TTBR0 reload, TLBI), which the fill hook does not see, so the record is a
 * superset of the engine's TLB, never a subset: whatever the engine holds was granted here since
 * the last flush. A later fill of the same page replaces the earlier one (the engine replaced it
 * too). Kept only while a debugger asked for it (MachineDebug.recordTlb), so a plain run pays
 * nothing for it.
 */
import { PAGE_SIZE } from '../../mmu/addr.js';
import type { AccessKind, Prot } from '../../mmu/prot.js';

export interface TlbGrant {
  readonly gvaPage: number;
  readonly hpaPage: number;
  readonly prot: Prot;
  /** The access that missed and was granted. */
  readonly access: AccessKind;
}

export class TlbRecord {
  private readonly grants = new Map<number, TlbGrant>();
  /** Flushes seen since recording began. */
  flushes = 0;

  grant(va: number, hpa: number, prot: Prot, access: AccessKind): void {
    const gvaPage = va - (va % PAGE_SIZE);
    this.grants.set(gvaPage, { gvaPage, hpaPage: hpa - (hpa % PAGE_SIZE), prot, access });
  }

  flush(): void {
    this.grants.clear();
    this.flushes++;
  }

  /** The grants, lowest guest-virtual page first. */
  entries(): TlbGrant[] {
    return [...this.grants.values()].sort((a, b) => a.gvaPage - b.gvaPage);
  }
}
