/*
 * A record of what Unicorn's TLB may hold: every translation the fill hook granted since nestvm
 * last flushed that TLB (table enter after a generation change, emulator/machine.ts). It is what
 * `monitor info tlb` lists, as the fill hook granted it: the guest-virtual page, the host-physical
 * page it was pointed at, and the rights cached.
 *
 * The engine's TLB is also flushed by the guest's own register writes, which the fill hook does
 * not see happen. The record follows those it can see from their result: the translation
 * context, the registers whose change makes Unicorn 2.1.1 flush its whole TLB (QEMU's rules,
 * pinned by test/emulator/unicorn/unicorn.test.ts and test/emulator/debug/tlb-record.test.ts):
 *
 *   x86-64   CR0 PG, WP, PE;  CR4 PSE, PAE, PGE, SMEP, SMAP, LA57;  CR3 while paging is on
 *   AArch64  SCTLR_EL1, TCR_EL1, and the ASIDs of TTBR0_EL1 and TTBR1_EL1 (bits 63:48); a TTBR
 *            write that keeps its ASID flushes nothing there, and the record keeps its grants too
 *
 * The context is compared before every granted fill and whenever the record is read
 * (MachineDebug.tlbEntries); a change flushes the record as it flushed the engine.
 *
 * "May hold": what stays invisible is a write that leaves those registers as they were (a CR3
 * reload with the same value, a TCR or SCTLR write of the same value), INVLPG and TLBI, and the
 * engine's own evictions (capacity). Then the record lists more than the engine holds, never
 * less: whatever the engine holds was granted here since the last flush. A later fill of the same
 * page replaces the earlier one (the engine replaced it too). Kept only while a debugger asked for
 * it (MachineDebug.recordTlb), so a plain run pays nothing for it.
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
  /** Flushes seen since recording began (nestvm's own and the guest's context changes). */
  flushes = 0;
  /** The translation context the grants were made under (null: none seen yet). */
  private context: string | null = null;

  /** The translation context now: a change since the grants were made flushes them (the engine did). */
  noteContext(context: string): void {
    if (this.context !== null && this.context !== context) this.flush();
    this.context = context;
  }

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
