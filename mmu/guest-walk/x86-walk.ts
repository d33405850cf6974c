/*
 * The x86-64 4-level guest page-table walk (IA-32e paging: CR3 -> PML4 -> PDPT -> PD -> PT).
 *
 * A 48-bit canonical linear address is cut into four 9-bit indices and a page offset:
 *
 *    63     48 47      39 38      30 29      21 20      12 11         0
 *   +---------+----------+----------+----------+----------+------------+
 *   | sign ext| PML4 idx | PDPT idx |  PD idx  |  PT idx  |   offset   |
 *   +---------+----------+----------+----------+----------+------------+
 *   A PDPTE with PS=1 maps 1 GiB (offset = bits 29:0); a PDE with PS=1 maps 2 MiB (bits 20:0).
 *
 * Rights are the combination over every level used (SDM §4.6): writable only if R/W=1 at every
 * level, user-accessible only if U/S=1 at every level, executable only if XD=0 at every level
 * (XD counts only with EFER.NXE). For supervisor accesses:
 *   - write to a read-only page is allowed when CR0.WP=0, a fault when CR0.WP=1;
 *   - CR4.SMEP forbids executing user pages; CR4.SMAP forbids data access to user pages unless
 *     EFLAGS.AC=1.
 *
 * Accessed and Dirty (SDM §4.8), in the order QEMU's walker applies them (so a run here and under
 * QEMU leave the same bits in guest RAM):
 *   - each non-leaf entry gets A as the walk passes through it, after its P and reserved checks,
 *     even if a lower level then faults;
 *   - the leaf gets A (and D on a write) only when the access is allowed;
 *   - a bit already set is never rewritten (no store at all when nothing changes).
 * A dry run (WalkOptions.dryRun) computes the same result and stores nothing.
 *
 * The #PF error code of a guest fault: bit 0 P (0 = not present, 1 = protection or reserved),
 * bit 1 W/R, bit 2 U/S, bit 3 RSVD, bit 4 I/D (instruction fetch, reported when NXE or SMEP is on).
 *
 * A GVA is a JS number. High-half (negative-canonical) addresses may be given either in signed form
 * (-2^47 .. -1, exact; this is how koffi hands over uint64 values >= 2^63) or unsigned (>= 2^63,
 * which a double can hold only to 4 KiB precision, enough for the page but not the offset).
 */

import { pageAlignDown, gpa as toGpa, type Gpa, type Gva } from '../addr.js';
import { PROT_EXEC, PROT_READ, PROT_WRITE, accessProt, type AccessKind, type Prot } from '../prot.js';
import { newWord64, type GuestPhysAccess, type NestedMiss } from './guest-phys.js';
import {
  missAt,
  type GuestFault,
  type GuestFaultReason,
  type WalkOptions,
  type WalkResult,
} from './walk-result.js';
import {
  X86_A,
  X86_D,
  X86_P,
  X86_RW,
  X86_US,
  x86EntryAddress,
  x86HasReservedBits,
  x86IsLeaf,
  x86LeafBase,
  x86LevelSize,
} from './x86-entry.js';

/** The control-register state a walk depends on. */
export interface X86PagingConfig {
  /** CR3: bits 51:12 locate the PML4 (low 12 bits, PCID or PWT/PCD, are ignored here). */
  readonly cr3: number;
  /** CR0.WP: supervisor writes honour R/W. */
  readonly wp: boolean;
  /** EFER.NXE: XD is a permission bit (else it is reserved). */
  readonly nxe: boolean;
  /** CR4.SMEP / CR4.SMAP and EFLAGS.AC; all default off. */
  readonly smep?: boolean;
  readonly smap?: boolean;
  readonly ac?: boolean;
  /** MAXPHYADDR (32..52); default 48, the guest-physical space nestvm models. */
  readonly maxPhysBits?: number;
}

/* Control-register bits used by x86ConfigFromRegs. */
const CR0_PG = 0x8000_0000;
const CR0_WP = 1 << 16;
const CR4_PAE = 1 << 5;
const CR4_SMEP = 1 << 20;
const CR4_SMAP = 1 << 21;
const EFER_LME = 1 << 8;
const EFER_NXE = 1 << 11;
const RFLAGS_AC = 1 << 18;

/** The configuration from raw register values (all fit in a double: CR3 < 2^52). */
export function x86ConfigFromRegs(
  cr0: number,
  cr3: number,
  cr4: number,
  efer: number,
  rflags = 0,
): X86PagingConfig {
  return {
    cr3,
    wp: (cr0 & CR0_WP) !== 0,
    nxe: (efer & EFER_NXE) !== 0,
    smep: (cr4 & CR4_SMEP) !== 0,
    smap: (cr4 & CR4_SMAP) !== 0,
    ac: (rflags & RFLAGS_AC) !== 0,
  };
}

/** Whether the guest is using 4-level paging at all (CR0.PG, CR4.PAE and EFER.LME all set). */
export const x86PagingEnabled = (cr0: number, cr4: number, efer: number): boolean =>
  (cr0 & CR0_PG) !== 0 && (cr4 & CR4_PAE) !== 0 && (efer & EFER_LME) !== 0;

const TWO47 = 2 ** 47;
const TWO48 = 2 ** 48;
const TWO63 = 2 ** 63;
const TWO64 = 2 ** 64;

/** The low 48 bits of a canonical address, or -1 when it is not canonical. */
export function x86Canonical48(gva: number): number {
  const v = gva >= TWO63 ? gva - TWO64 : gva;
  if (!Number.isFinite(v) || v < -TWO47 || v >= TWO47) return -1;
  return v < 0 ? v + TWO48 : v;
}

const scratch = newWord64();

/*
 * Walk the guest's tables for an access of kind `access` at user (CPL 3) or supervisor privilege.
 */
export function walkX86(
  mem: GuestPhysAccess,
  cfg: X86PagingConfig,
  gva: Gva,
  access: AccessKind,
  user: boolean,
  opts?: WalkOptions,
): WalkResult {
  const dry = opts?.dryRun === true;
  const onEntry = opts?.onEntry;
  const maxPhys = cfg.maxPhysBits ?? 48;
  const va = x86Canonical48(gva);
  if (va < 0) return x86Fault(cfg, gva, 4, 'address-range', access, user);
  const e = scratch;
  let table = pageAlignDown(cfg.cr3);
  let rw = 1;
  let us = 1;
  let xd = 0;
  for (let level = 4; level >= 1; level--) {
    const size = x86LevelSize(level);
    const entry = toGpa(table + (Math.floor(va / size) % 512) * 8);
    const miss = mem.read64(entry, e);
    if (miss !== null) return missAt(gva, level, miss);
    const lo = e.lo >>> 0;
    const hi = e.hi >>> 0;
    if (onEntry !== undefined) onEntry(level, entry, lo, hi);
    if ((lo & X86_P) === 0) return x86Fault(cfg, gva, level, 'not-present', access, user);
    if (x86HasReservedBits(lo, hi, level, maxPhys, cfg.nxe)) {
      return x86Fault(cfg, gva, level, 'reserved', access, user);
    }
    rw &= (lo & X86_RW) >>> 1;
    us &= (lo & X86_US) >>> 2;
    if (cfg.nxe) xd |= hi >>> 31;
    if (!x86IsLeaf(lo, level)) {
      const wmiss = dry ? null : x86SetBits(mem, entry, lo, X86_A);
      if (wmiss !== null) return missAt(gva, level, wmiss);
      table = x86EntryAddress(lo, hi);
      continue;
    }
    const prot = x86Rights(cfg, rw, us, xd, user);
    if ((prot & accessProt(access)) === 0) return x86Fault(cfg, gva, level, 'protection', access, user);
    const want = access === 'write' ? X86_A | X86_D : X86_A;
    const wmiss = dry ? null : x86SetBits(mem, entry, lo, want);
    if (wmiss !== null) return missAt(gva, level, wmiss);
    const dirty = (lo & X86_D) !== 0 || access === 'write';
    return {
      kind: 'ok',
      gva,
      gpa: toGpa(x86LeafBase(lo, hi, level) + (va % size)),
      level,
      pageSize: size,
      leaf: entry,
      prot,
      tlbProt: dirty ? prot : prot & ~PROT_WRITE,
    };
  }
  throw new Error('unreachable: level 1 is always a leaf');
}

/* Store `bits` into the entry whose low word is `lo`, unless all of them are set already. */
function x86SetBits(mem: GuestPhysAccess, entry: Gpa, lo: number, bits: number): NestedMiss | null {
  return (lo & bits) === bits ? null : mem.write32(entry, (lo | bits) >>> 0);
}

/* Rights at the requesting privilege from the combined R/W, U/S and XD of every level. */
function x86Rights(cfg: X86PagingConfig, rw: number, us: number, xd: number, user: boolean): Prot {
  if (user) {
    if (!us) return 0;
    return PROT_READ | (rw ? PROT_WRITE : 0) | (xd ? 0 : PROT_EXEC);
  }
  const smapBlocked = cfg.smap === true && us === 1 && cfg.ac !== true;
  let p = 0;
  if (!smapBlocked) p |= PROT_READ;
  if (!smapBlocked && (rw || !cfg.wp)) p |= PROT_WRITE;
  if (!xd && !(cfg.smep === true && us === 1)) p |= PROT_EXEC;
  return p;
}

/* #PF error code bits. */
const PF_P = 1 << 0;
const PF_WR = 1 << 1;
const PF_US = 1 << 2;
const PF_RSVD = 1 << 3;
const PF_ID = 1 << 4;

export function x86ErrorCode(
  cfg: X86PagingConfig,
  reason: GuestFaultReason,
  access: AccessKind,
  user: boolean,
): number {
  let code = reason === 'not-present' ? 0 : PF_P;
  if (reason === 'reserved') code |= PF_RSVD;
  if (access === 'write') code |= PF_WR;
  if (user) code |= PF_US;
  if (access === 'exec' && (cfg.nxe || cfg.smep === true)) code |= PF_ID;
  return code;
}

function x86Fault(
  cfg: X86PagingConfig,
  gva: Gva,
  level: number,
  reason: GuestFaultReason,
  access: AccessKind,
  user: boolean,
): GuestFault {
  return {
    kind: 'guest-fault',
    arch: 'x86_64',
    gva,
    level,
    reason,
    access,
    user,
    code: x86ErrorCode(cfg, reason, access, user),
  };
}
