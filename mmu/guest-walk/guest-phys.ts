/*
 * How a guest page-table walker reaches guest-physical memory.
 *
 * The guest's own page tables live in guest-physical memory, and guest-physical memory is not a
 * flat array: every guest-physical address is itself translated by the nested page table (the GPT)
 * before the host can read it. That is the two-dimensional walk of DESIGN §1. The walkers in this
 * folder therefore never index an ArrayBuffer themselves. They read and write through
 * GuestPhysAccess, and whoever supplies it decides how a guest-physical address becomes host RAM:
 *
 *   - the TLB fill hook (emulator/) translates through the real GPT, and when a table page has no
 *     nested mapping yet it answers with a NestedMiss instead of data;
 *   - unit tests use a plain buffer, or a fake nested translation that can be told to miss;
 *   - nestedGuestAccess() below composes any NestedWalker with host RAM.
 *
 * Invariants of the contract:
 *  - read64 reads one naturally aligned 64-bit little-endian word and writes it into `out` as two
 *    unsigned 32-bit halves (`lo` = bits 31:0, `hi` = bits 63:32); it returns null on success.
 *  - write32 writes one aligned 32-bit word. The walkers only ever write the LOW half of an entry:
 *    every bit hardware updates on a walk lives there (x86 A bit 5 and D bit 6; arm64 AP[2] bit 7
 *    and AF bit 10), so a single 32-bit store is the whole update.
 *  - A miss is a value, never an exception: the caller raises a nested fault for `gpa` with the
 *    given access kind (a hardware A/D update is a WRITE to the guest table page, and needs write
 *    permission in the nested tables) and then retries the whole walk. Retrying is safe because
 *    the only side effects of a walk are idempotent bit sets.
 *  - Nothing here allocates per access: `out` is caller-owned scratch. A miss object may be
 *    allocated (misses are rare and end the walk).
 */

import type { Gpa, Hpa } from '../addr.js';
import { assert } from '../checks.js';
import type { AccessKind } from '../prot.js';

/** A 64-bit value as two unsigned 32-bit halves. Used as an out-parameter. */
export interface Word64 {
  lo: number;
  hi: number;
}

export const newWord64 = (): Word64 => ({ lo: 0, hi: 0 });

/** The guest-physical address `gpa` could not be translated by the nested tables. */
export interface NestedMiss {
  readonly kind: 'nested-miss';
  readonly gpa: Gpa;
  /** 'read' for a table read, 'write' for a hardware Accessed/Dirty update. */
  readonly access: 'read' | 'write';
}

export const nestedMiss = (gpa: Gpa, access: 'read' | 'write'): NestedMiss => ({
  kind: 'nested-miss',
  gpa,
  access,
});

/** Guest-physical memory as a guest page-table walker sees it. */
export interface GuestPhysAccess {
  /** Read the 8-byte aligned 64-bit word at `gpa` into `out`; null on success. */
  read64(gpa: Gpa, out: Word64): NestedMiss | null;
  /** Write the 4-byte aligned 32-bit word at `gpa` (value taken as unsigned); null on success. */
  write32(gpa: Gpa, value: number): NestedMiss | null;
}

/* ---- the nested dimension, as the two-dimensional walk displays it ------------------------ */

/** A named bit field of an entry (same shape as the GPT formats' DecodedField). */
export interface EntryField {
  readonly name: string;
  /** 'n' for one bit, 'm:n' for a field. */
  readonly bits: string;
  readonly value: number;
  readonly meaning: string;
}

/** One nested page-table entry read while translating a guest-physical address. */
export interface NestedStep {
  /** GPT level of the table the entry lives in (4 = root ... 1 = leaf table). */
  readonly level: number;
  /** Host-physical location of the entry. */
  readonly pte: Hpa;
  readonly lo: number;
  readonly hi: number;
  /** Named bits, if the adapter decodes them (the GPT's format decode()). */
  readonly fields?: readonly EntryField[];
}

/** The outcome of translating one guest-physical address through the nested tables. */
export interface NestedWalk {
  /** Every nested entry read, root first. */
  readonly steps: readonly NestedStep[];
  /** The host-physical address, when the translation succeeded. */
  readonly hpa?: Hpa;
  /** Why it failed (absent on success): e.g. 'not-present' or 'rights', and the level it stopped at. */
  readonly fault?: { readonly reason: string; readonly level: number };
}

/** A nested-page-table walker. Must have no side effects (display only). */
export interface NestedWalker {
  walk(gpa: Gpa, access: AccessKind): NestedWalk;
}

/** Host RAM as the nested composition reads it (HostMemory satisfies this). */
export interface HostRam {
  readonly u32: Uint32Array;
}

/*
 * GuestPhysAccess built from a nested walker and host RAM: each access translates its address by
 * a full nested walk, then touches host RAM. Simple and slow (one nested walk per entry), which is
 * what display and tests want; the fill hook uses its own faster path.
 */
export function nestedGuestAccess(nested: NestedWalker, ram: HostRam): GuestPhysAccess {
  const locate = (gpa: Gpa, access: AccessKind): number => {
    const w = nested.walk(gpa, access);
    if (w.fault !== undefined || w.hpa === undefined) return -1;
    const at = w.hpa as number;
    if (at + 8 > ram.u32.length * 4) return -1; // not RAM (a device aperture): unusable as a table
    return at;
  };
  return {
    read64(gpa, out) {
      assert(gpa % 8 === 0, 'read64: unaligned guest entry address');
      const at = locate(gpa, 'read');
      if (at < 0) return nestedMiss(gpa, 'read');
      out.lo = ram.u32[at / 4];
      out.hi = ram.u32[at / 4 + 1];
      return null;
    },
    write32(gpa, value) {
      assert(gpa % 4 === 0, 'write32: unaligned guest address');
      const at = locate(gpa, 'write');
      if (at < 0) return nestedMiss(gpa, 'write');
      ram.u32[at / 4] = value >>> 0;
      return null;
    },
  };
}
