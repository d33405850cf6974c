/*
 * What a guest page-table walk returns.
 *
 * A walk ends in exactly one of three ways, and each is a plain value (guest-caused outcomes are
 * never exceptions):
 *
 *   ok           the guest tables translate `gva` to `gpa` with rights `prot` at the privilege of
 *                the access; Accessed/Dirty have been set as the architecture says
 *   guest-fault  the GUEST's tables refuse the access: this is the guest's own page fault
 *                (x86 #PF, arm64 translation/access-flag/permission abort). It carries the GVA,
 *                the level at which the walk stopped, a reason, and the architectural code
 *                (x86 #PF error code, arm64 fault status code) so it can be compared with the manuals
 *   nested-miss  a guest table entry's own guest-physical address has no nested translation (or,
 *                for a hardware A/D update, no write permission) yet: the fill hook raises a nested
 *                fault for `gpa` and retries the walk
 *
 * Levels use each architecture's own numbering, as its manual does:
 *   x86-64: 4 = PML4, 3 = PDPT, 2 = PD, 1 = PT
 *   arm64:  0, 1, 2, 3 (level 3 holds 4 KiB pages)
 *
 * prot vs tlbProt: `prot` is what the tables grant the requesting privilege now (after this walk's
 * own updates). `tlbProt` is the part of it a TLB may cache without walking again: on x86 write is
 * withheld while the leaf's Dirty bit is clear, so that the first write comes back to the walker
 * and sets Dirty (arm64 needs no such rule: a clean DBM page is read-only in AP[2] until the
 * hardware write clears it, so `prot` already lacks write).
 */

import type { Gpa, Gva } from '../addr.js';
import type { AccessKind, Prot } from '../prot.js';
import type { EntryField, NestedMiss } from './guest-phys.js';

export type GuestArch = 'x86_64' | 'arm64';

export interface WalkOk {
  readonly kind: 'ok';
  readonly gva: Gva;
  /** The translated guest-physical address (frame base + offset in the page). */
  readonly gpa: Gpa;
  /** Level of the leaf entry (x86: 1 = 4 KiB, 2 = 2 MiB, 3 = 1 GiB; arm64: 3 = 4 KiB, 2 = 2 MiB, 1 = 1 GiB). */
  readonly level: number;
  /** Bytes mapped by the leaf: 4096, 2 MiB or 1 GiB. */
  readonly pageSize: number;
  /** Guest-physical address of the leaf entry. */
  readonly leaf: Gpa;
  readonly prot: Prot;
  readonly tlbProt: Prot;
}

export type GuestFaultReason =
  /** x86 P=0; arm64 invalid descriptor or reserved encoding (a Translation fault). */
  | 'not-present'
  /** The entry is present, but the rights at this privilege do not allow the access. */
  | 'protection'
  /** arm64: AF=0 and hardware Access flag management (TCR_EL1.HA) is off. */
  | 'access-flag'
  /** x86: a reserved bit is set (#PF with RSVD). */
  | 'reserved'
  /** arm64: an output address beyond the configured physical address size. */
  | 'address-size'
  /** x86: non-canonical address (architecturally #GP, not #PF); arm64: VA outside both TTBR ranges. */
  | 'address-range'
  /** arm64: a translation granule other than 4 KiB (nestvm models only 4 KiB). */
  | 'unsupported';

export interface GuestFault {
  readonly kind: 'guest-fault';
  readonly arch: GuestArch;
  readonly gva: Gva;
  /** The level whose entry stopped the walk. */
  readonly level: number;
  readonly reason: GuestFaultReason;
  readonly access: AccessKind;
  /** The access was made at user privilege (x86 CPL 3, arm64 EL0). */
  readonly user: boolean;
  /** x86: the #PF error code (P, W/R, U/S, RSVD, I/D). arm64: the fault status code (DFSC/IFSC). */
  readonly code: number;
}

export interface WalkNestedMiss {
  readonly kind: 'nested-miss';
  readonly gva: Gva;
  /** The guest level whose table entry could not be reached (or updated). */
  readonly level: number;
  /** The guest-physical address that needs a nested translation. */
  readonly gpa: Gpa;
  readonly access: 'read' | 'write';
  /** What GuestPhysAccess returned (it may carry more detail than the base interface). */
  readonly cause: NestedMiss;
}

export type WalkResult = WalkOk | GuestFault | WalkNestedMiss;

/** Called once for every guest entry the walker reads, in order (used by the 2-D walk). */
export type EntryObserver = (level: number, entry: Gpa, lo: number, hi: number) => void;

export interface WalkOptions {
  /** Side-effect-free: compute the result, but write no Accessed/Dirty/AF/AP update. */
  readonly dryRun?: boolean;
  readonly onEntry?: EntryObserver;
}

/** A guest page-table entry with its bits named, for display next to the manual's figure. */
export interface GuestEntryDecoded {
  readonly format: 'x86-64' | 'arm64-s1';
  readonly level: number;
  /** 'invalid' = not present; 'reserved' = an encoding this level does not allow. */
  readonly kind: 'invalid' | 'table' | 'leaf' | 'reserved';
  /** 0xhhhhhhhh_llllllll */
  readonly hex: string;
  readonly present: boolean;
  /** Next table (kind 'table') or output frame base (kind 'leaf'); 0 otherwise. */
  readonly address: number;
  /** Bytes mapped by a leaf; 0 otherwise. */
  readonly pageSize: number;
  readonly fields: readonly EntryField[];
}

export const wordHex = (lo: number, hi: number): string =>
  '0x' + (hi >>> 0).toString(16).padStart(8, '0') + '_' + (lo >>> 0).toString(16).padStart(8, '0');

/** The walk result for a NestedMiss met while handling guest level `level`. */
export const missAt = (gva: Gva, level: number, cause: NestedMiss): WalkNestedMiss => ({
  kind: 'nested-miss',
  gva,
  level,
  gpa: cause.gpa,
  access: cause.access,
  cause,
});
