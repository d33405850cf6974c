/*
 * The arm64 stage-1 guest walk for the EL1&0 regime, 4 KiB granule (Arm ARM D8.2).
 *
 * TCR_EL1.T0SZ sets the size of the TTBR0 region: the input address has ia = 64 - T0SZ bits, and
 * the walk starts at the level whose index holds the top of them:
 *
 *    47      39 38      30 29      21 20      12 11         0
 *   +----------+----------+----------+----------+------------+
 *   | L0 index | L1 index | L2 index | L3 index |   offset   |    ia = 48 (T0SZ 16): 4 levels
 *   +----------+----------+----------+----------+------------+
 *   ia 40..48 starts at level 0, 31..39 at level 1 (3 levels), 25..30 at level 2; the starting table
 *   has 2^(ia - shift) entries. T0SZ is clamped to 16..39. Addresses with bit 55 set belong to the
 *   TTBR1 region (T1SZ) when the configuration supplies one; the bits above ia must be all zeros
 *   (TTBR0) or all ones (TTBR1), except the top byte when TBI is on. Anything else is a level-0
 *   Translation fault.
 *
 * Rights: the leaf's AP[2:1], PXN and UXN, restricted by the table descriptors above it (APTable,
 * PXNTable, UXNTable, unless TCR_EL1.HPDn disables hierarchical permissions). At EL1 a page
 * writable by EL0 is never executable; with SCTLR_EL1.WXN any writable page is not executable at
 * that privilege; with PSTATE.PAN, EL1 data accesses to EL0-accessible pages fault.
 *
 * Hardware state updates (FEAT_HAFDBS), as the Arm ARM and QEMU order them:
 *   1. Translation fault (invalid or reserved descriptor) at the level that has it;
 *   2. Address size fault when an address is beyond the PA size from TCR_EL1.IPS;
 *   3. leaf AF = 0: with TCR_EL1.HA the update sets AF, otherwise an Access flag fault;
 *   4. with TCR_EL1.HD (effective only together with HA) a write to a leaf with DBM = 1 clears
 *      AP[2], making the page writable-and-dirty;
 *   5. rights are checked on the updated descriptor (table restrictions still apply, so an APTable
 *      "no write" cannot be overridden by DBM): Permission fault if denied;
 *   6. only then, if the descriptor changed, the new low word is stored (one store: AF and AP[2]
 *      together). No update happens on a faulting access, and table descriptors are never updated.
 *
 * Fault status codes (the ESR_EL1 DFSC/IFSC field): 0b0000LL address size, 0b0001LL translation,
 * 0b0010LL access flag, 0b0011LL permission, with LL = level.
 */

import { gpa as toGpa, type Gpa, type Gva } from '../addr.js';
import { PROT_EXEC, PROT_READ, PROT_WRITE, accessProt, type AccessKind, type Prot } from '../prot.js';
import { newWord64, type GuestPhysAccess, type Word64 } from './guest-phys.js';
import {
  missAt,
  type GuestFault,
  type GuestFaultReason,
  type WalkOk,
  type WalkOptions,
  type WalkResult,
} from './walk-result.js';
import {
  A64_AF,
  A64_AP2,
  A64_APTABLE0_HI,
  A64_APTABLE1_HI,
  A64_DBM_HI,
  A64_PXN_HI,
  A64_PXNTABLE_HI,
  A64_UXN_HI,
  A64_UXNTABLE_HI,
  a64Address,
  a64Kind,
  a64LevelSize,
} from './arm64-descriptor.js';

/** The system-register state a stage-1 walk depends on (already decoded). */
export interface Arm64Stage1Config {
  /** TTBR0_EL1 base address (BADDR; ASID and CnP stripped). */
  readonly ttbr0: number;
  /** TCR_EL1.T0SZ (16..39). */
  readonly t0sz: number;
  /** TCR_EL1.EPD0: TTBR0 walks disabled. */
  readonly epd0?: boolean;
  /** TTBR1 region: absent when the configuration does not use it (then it behaves as EPD1 = 1). */
  readonly ttbr1?: number;
  readonly t1sz?: number;
  readonly epd1?: boolean;
  /** TCR_EL1.TG0 / TG1 are the 4 KiB encodings (the only granule modelled). Default true. */
  readonly granule4k0?: boolean;
  readonly granule4k1?: boolean;
  readonly tbi0?: boolean;
  readonly tbi1?: boolean;
  /** TCR_EL1.HA: hardware sets AF. */
  readonly ha: boolean;
  /** TCR_EL1.HD: hardware dirty state through DBM (ignored unless `ha`). */
  readonly hd: boolean;
  readonly hpd0?: boolean;
  readonly hpd1?: boolean;
  /** Physical address size in bits, from TCR_EL1.IPS; default 48 (the maximum with 4 KiB, no LPA2). */
  readonly paBits?: number;
  /** SCTLR_EL1.WXN. */
  readonly wxn?: boolean;
  /** PSTATE.PAN. */
  readonly pan?: boolean;
}

/* TCR_EL1 fields (bit numbers; hi-word fields are at bit - 32 of tcr.hi). */
const IPS_BITS = [32, 36, 40, 42, 44, 48, 52, 52];

/** Decode TTBR0_EL1, TTBR1_EL1, TCR_EL1 (as 32-bit halves) and SCTLR_EL1 (low word). */
export function arm64ConfigFromRegs(
  ttbr0: Word64,
  tcr: Word64,
  sctlrLo: number,
  ttbr1?: Word64,
  pan = false,
): Arm64Stage1Config {
  const baddr = (w: Word64): number => (w.hi & 0xffff) * 0x1_0000_0000 + ((w.lo & 0xffff_fffe) >>> 0);
  const lo = tcr.lo >>> 0;
  const hi = tcr.hi >>> 0;
  return {
    ttbr0: baddr(ttbr0),
    t0sz: lo & 0x3f,
    epd0: ((lo >>> 7) & 1) === 1,
    granule4k0: ((lo >>> 14) & 3) === 0,
    ttbr1: ttbr1 === undefined ? undefined : baddr(ttbr1),
    t1sz: (lo >>> 16) & 0x3f,
    epd1: ((lo >>> 23) & 1) === 1 || ttbr1 === undefined,
    granule4k1: ((lo >>> 30) & 3) === 2,
    paBits: Math.min(48, IPS_BITS[hi & 7]),
    tbi0: ((hi >>> 5) & 1) === 1,
    tbi1: ((hi >>> 6) & 1) === 1,
    ha: ((hi >>> 7) & 1) === 1,
    hd: ((hi >>> 8) & 1) === 1,
    hpd0: ((hi >>> 9) & 1) === 1,
    hpd1: ((hi >>> 10) & 1) === 1,
    wxn: ((sctlrLo >>> 19) & 1) === 1,
    pan,
  };
}

/** SCTLR_EL1.M: the stage-1 MMU is on. */
export const arm64MmuEnabled = (sctlrLo: number): boolean => (sctlrLo & 1) === 1;

const TWO55 = 2 ** 55;
const TWO56 = 2 ** 56;
const TWO63 = 2 ** 63;
const TWO64 = 2 ** 64;

/*
 * Which region an address is in: selectRegion returns 0 (TTBR0), 1 (TTBR1) or -1 (neither), and
 * leaves the region's input-address size and the address's index bits in `sel` (module scratch,
 * so that a walk allocates nothing but its result).
 */
const sel = { ia: 0, va: 0 };

function selectRegion(cfg: Arm64Stage1Config, gva: number): -1 | 0 | 1 {
  const v = gva >= TWO63 ? gva - TWO64 : gva;
  if (!Number.isFinite(v)) return -1;
  /*
   * Split v into its top byte and its low 56 bits without ever adding 2^56 to a small number
   * (that would round away the page offset): `rem` keeps the sign of v, and a negative `rem`
   * stands for the low-56-bit value 2^56 + rem.
   */
  const rem = v % TWO56;
  const top = (v - rem) / TWO56 - (rem < 0 ? 1 : 0);
  const one = rem >= 0 ? rem >= TWO55 : rem >= -TWO55;
  const tbi = one ? cfg.tbi1 === true : cfg.tbi0 === true;
  if (!tbi && top !== (one ? -1 : 0)) return -1;
  if (one && (cfg.ttbr1 === undefined || cfg.t1sz === undefined)) return -1;
  const tsz = Math.min(39, Math.max(16, one ? (cfg.t1sz as number) : cfg.t0sz));
  const span = 2 ** (64 - tsz);
  sel.ia = 64 - tsz;
  if (!one) {
    sel.va = rem >= 0 ? rem : rem + TWO56;
    return sel.va < span ? 0 : -1;
  }
  const below = rem >= 0 ? rem - TWO56 : rem; // low 56 bits minus 2^56: in [-2^55, 0)
  sel.va = below + span;
  return below >= -span ? 1 : -1;
}

const startLevel = (ia: number): number => (ia > 39 ? 0 : ia > 30 ? 1 : 2);

const scratch = newWord64();

/* Accumulated table-descriptor restrictions (a small bit set). */
const T_PXN = 1;
const T_UXN = 2;
const T_NO_EL0 = 4;
const T_NO_WRITE = 8;

/** Walk the guest's stage-1 tables for an access at EL0 (`user`) or EL1. */
export function walkArm64(
  mem: GuestPhysAccess,
  cfg: Arm64Stage1Config,
  gva: Gva,
  access: AccessKind,
  user: boolean,
  opts?: WalkOptions,
): WalkResult {
  const dry = opts?.dryRun === true;
  const onEntry = opts?.onEntry;
  const region = selectRegion(cfg, gva);
  const refused = regionRefusal(cfg, region);
  if (refused !== null) return a64Fault(gva, 0, refused, access, user);
  const one = region === 1;
  const ia = sel.ia;
  const va = sel.va;
  const hpd = one ? cfg.hpd1 === true : cfg.hpd0 === true;
  const paLimit = 2 ** (cfg.paBits ?? 48);
  const start = startLevel(ia);
  const startEntries = 2 ** (ia - (12 + 9 * (3 - start)));
  const ttbr = one ? (cfg.ttbr1 as number) : cfg.ttbr0;
  let table = ttbr - (ttbr % Math.max(64, startEntries * 8));
  let restrict = 0;
  const e = scratch;
  for (let level = start; level <= 3; level++) {
    const size = a64LevelSize(level);
    const entries = level === start ? startEntries : 512;
    const entry = toGpa(table + (Math.floor(va / size) % entries) * 8);
    const miss = mem.read64(entry, e);
    if (miss !== null) return missAt(gva, level, miss);
    const lo = e.lo >>> 0;
    const hi = e.hi >>> 0;
    if (onEntry !== undefined) onEntry(level, entry, lo, hi);
    const kind = a64Kind(lo, level);
    if (kind === 'invalid' || kind === 'reserved') return a64Fault(gva, level, 'not-present', access, user);
    const addr = a64Address(lo, hi);
    if (addr >= paLimit) return a64Fault(gva, level, 'address-size', access, user);
    if (kind === 'table') {
      if (!hpd) restrict |= tableRestrictions(hi);
      table = addr;
      continue;
    }
    const nlo = a64LeafUpdate(cfg, lo, hi, access);
    if (nlo < 0) return a64Fault(gva, level, 'access-flag', access, user);
    const prot = a64Rights(cfg, (nlo >>> 6) & 3, hi, restrict, user);
    if ((prot & accessProt(access)) === 0) return a64Fault(gva, level, 'protection', access, user);
    if (nlo !== lo && !dry) {
      const wmiss = mem.write32(entry, nlo);
      if (wmiss !== null) return missAt(gva, level, wmiss);
    }
    return a64Page(gva, toGpa(addr - (addr % size) + (va % size)), level, size, entry, prot);
  }
  throw new Error('unreachable: level 3 is always a page or a fault');
}

/* Why the selected region (selectRegion's answer) cannot be walked at all, or null when it can. */
function regionRefusal(cfg: Arm64Stage1Config, region: -1 | 0 | 1): GuestFaultReason | null {
  if (region < 0) return 'address-range';
  const one = region === 1;
  if (one ? cfg.epd1 === true : cfg.epd0 === true) return 'not-present';
  if ((one ? cfg.granule4k1 : cfg.granule4k0) === false) return 'unsupported';
  return null;
}

/*
 * Steps 3 and 4 of the update order on a leaf's low word: the word as the hardware would leave it
 * (AF set with HA; AP[2] cleared for a write to a DBM page with HA and HD), or -1 for an Access
 * flag fault (AF clear, HA off).
 */
function a64LeafUpdate(cfg: Arm64Stage1Config, lo: number, hi: number, access: AccessKind): number {
  let nlo = lo;
  if ((lo & A64_AF) === 0) {
    if (!cfg.ha) return -1;
    nlo |= A64_AF;
  }
  if (cfg.ha && cfg.hd && access === 'write' && (hi & A64_DBM_HI) !== 0) nlo &= ~A64_AP2;
  return nlo >>> 0;
}

/* The result for a page `leaf` grants: arm64 lets a TLB cache all of `prot` (see walk-result.ts). */
function a64Page(gva: Gva, gpa: Gpa, level: number, size: number, leaf: Gpa, prot: Prot): WalkOk {
  return { kind: 'ok', gva, gpa, level, pageSize: size, leaf, prot, tlbProt: prot };
}

function tableRestrictions(hi: number): number {
  let t = 0;
  if (hi & A64_PXNTABLE_HI) t |= T_PXN;
  if (hi & A64_UXNTABLE_HI) t |= T_UXN;
  if (hi & A64_APTABLE0_HI) t |= T_NO_EL0;
  if (hi & A64_APTABLE1_HI) t |= T_NO_WRITE;
  return t;
}

/*
 * Rights from AP[2:1] (`ap`: bit 1 = AP[2] read-only, bit 0 = AP[1] EL0 access), the leaf's
 * PXN/UXN and the table restrictions.
 */
function a64Rights(cfg: Arm64Stage1Config, ap: number, hi: number, restrict: number, user: boolean): Prot {
  if (restrict & T_NO_EL0) ap &= ~1;
  if (restrict & T_NO_WRITE) ap |= 2;
  const el0Read = (ap & 1) !== 0;
  const el0Write = ap === 1;
  const el1Write = (ap & 2) === 0;
  if (user) {
    const uxn = (hi & A64_UXN_HI) !== 0 || (restrict & T_UXN) !== 0;
    const noExec = uxn || (cfg.wxn === true && el0Write);
    return (el0Read ? PROT_READ : 0) | (el0Write ? PROT_WRITE : 0) | (noExec ? 0 : PROT_EXEC);
  }
  const pxn = (hi & A64_PXN_HI) !== 0 || (restrict & T_PXN) !== 0;
  const panBlocked = cfg.pan === true && el0Read;
  const noExec = pxn || el0Write || (cfg.wxn === true && el1Write);
  return (panBlocked ? 0 : PROT_READ | (el1Write ? PROT_WRITE : 0)) | (noExec ? 0 : PROT_EXEC);
}

const FSC_BASE: Record<GuestFaultReason, number> = {
  'address-size': 0x00,
  'not-present': 0x04,
  'address-range': 0x04,
  unsupported: 0x04,
  'access-flag': 0x08,
  protection: 0x0c,
  reserved: 0x04,
};

/** The fault status code (ESR_ELx.ISS DFSC/IFSC) for a stage-1 fault. */
export const arm64FaultStatus = (reason: GuestFaultReason, level: number): number => FSC_BASE[reason] + level;

function a64Fault(
  gva: Gva,
  level: number,
  reason: GuestFaultReason,
  access: AccessKind,
  user: boolean,
): GuestFault {
  return {
    kind: 'guest-fault',
    arch: 'arm64',
    gva,
    level,
    reason,
    access,
    user,
    code: arm64FaultStatus(reason, level),
  };
}
