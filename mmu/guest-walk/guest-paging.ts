/*
 * One entry point for "walk the guest's own tables", whatever the architecture.
 *
 * The fill hook and the two-dimensional walk both hold a GuestPaging value: the architecture and
 * its decoded register state, or null while the guest has paging off (then a guest-virtual address
 * IS the guest-physical address, DESIGN §1). walkGuest dispatches to the architecture's walker;
 * decodeGuestEntry to its decoder. Nothing here has state of its own.
 */

import { PAGE_SIZE, gpa as toGpa, type Gva } from '../addr.js';
import type { AccessKind, Prot } from '../prot.js';
import { PROT_ALL } from '../prot.js';
import type { GuestPhysAccess } from './guest-phys.js';
import { decodeArm64Descriptor } from './arm64-descriptor.js';
import { walkArm64, type Arm64Stage1Config } from './arm64-walk.js';
import type { GuestEntryDecoded, WalkOptions, WalkResult } from './walk-result.js';
import { decodeX86Entry, x86LevelName } from './x86-entry.js';
import { walkX86, type X86PagingConfig } from './x86-walk.js';

export type GuestPaging =
  | { readonly arch: 'x86_64'; readonly cfg: X86PagingConfig }
  | { readonly arch: 'arm64'; readonly cfg: Arm64Stage1Config };

/*
 * Translate `gva` for an access at user or supervisor privilege. With paging off the result is the
 * identity with every right (the guest tables restrict nothing; the nested tables still will).
 */
export function walkGuest(
  paging: GuestPaging | null,
  mem: GuestPhysAccess,
  gva: Gva,
  access: AccessKind,
  user: boolean,
  opts?: WalkOptions,
): WalkResult {
  if (paging === null) return identity(gva);
  if (paging.arch === 'x86_64') return walkX86(mem, paging.cfg, gva, access, user, opts);
  return walkArm64(mem, paging.cfg, gva, access, user, opts);
}

function identity(gva: Gva): WalkResult {
  const prot: Prot = PROT_ALL;
  return {
    kind: 'ok',
    gva,
    gpa: toGpa(gva),
    level: 0,
    pageSize: PAGE_SIZE,
    leaf: toGpa(0),
    prot,
    tlbProt: prot,
  };
}

/** Named bits of one guest entry at `level`, in the architecture's own format. */
export const decodeGuestEntry = (
  arch: GuestPaging['arch'],
  lo: number,
  hi: number,
  level: number,
): GuestEntryDecoded =>
  arch === 'x86_64' ? decodeX86Entry(lo, hi, level) : decodeArm64Descriptor(lo, hi, level);

/** The manual's name for a guest level: PML4E/PDPTE/PDE/PTE on x86, L0..L3 on arm64. */
export const guestLevelName = (arch: GuestPaging['arch'], level: number): string =>
  arch === 'x86_64' ? x86LevelName(level) : `L${level}`;
