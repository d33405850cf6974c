/*
 * Entry formats: the one place where the GPT knows which hardware it is pretending to be.
 *
 * The nested page table is a format-agnostic 4-level radix tree (gpt.ts). Everything that depends on
 * the vendor -- which bit means present, where write permission lives, how Accessed and Dirty are
 * recorded, what the root pointer register looks like -- is behind the EntryFormat interface below,
 * with one small file per format: ept.ts (Intel EPT), npt.ts (AMD nPT, the long-mode PTE) and
 * stage2.ts (arm64 stage-2, 4 KiB granule). The facts are those of DESIGN §4.
 *
 * A 64-bit entry is never a BigInt (DESIGN §7). It is two unsigned 32-bit halves, as stored in the
 * Uint32Array view on host RAM (little-endian, so the low half comes first):
 *
 *    63                               32 31                                0
 *   +-----------------------------------+-----------------------------------+
 *   |               hi                  |               lo                  |
 *   +-----------------------------------+-----------------------------------+
 *   entry bit n lives in lo bit n when n < 32, and in hi bit (n - 32) otherwise.
 *
 * Builders write the two halves into a caller-supplied PteWords, so the hot paths allocate nothing;
 * parsers take (lo, hi) and return plain numbers and booleans.
 *
 * Invariants every format keeps (the conformance suite checks each):
 *  - leaf(f, prot, mt) is present, and parses back to frame f, prot (with W and X normalised as the
 *    format can express them, R always granted when W is) and mt, with Accessed and Dirty clear.
 *  - table(f) is present and parses back to frame f; a zero entry is never present.
 *  - isDirty(lo, hi) implies (lo & dirtyLoMask) !== 0.
 *  - Accessed and Dirty live in the low half (all three formats agree on that), and the A/D
 *    transforms change nothing but A/D state: frame, prot and memory type are preserved.
 *  - setDirty never makes a leaf without write permission dirty (the hardware could not have
 *    written through it); clearAccessed also clears Dirty (a page nobody touched cannot be dirty); clearDirty leaves
 *    Accessed alone.
 *  - all words produced are unsigned (`>>> 0`), so they compare equal to what Uint32Array reads back.
 */

import { PAGE_SIZE, hex } from '../addr.js';
import type { Hfn } from '../addr.js';
import type { MemType, Prot } from '../prot.js';

/** The two 32-bit halves of a 64-bit entry. Reused as an out-parameter on hot paths. */
export interface PteWords {
  lo: number;
  hi: number;
}

export const newWords = (): PteWords => ({ lo: 0, hi: 0 });

export type FormatName = 'ept' | 'npt' | 's2';

/** Which kind of 64-bit value decode() is looking at. */
export type EntryKind = 'leaf' | 'table' | 'root';

/** Options for the root pointer register (EPTP / nCR3 / VTTBR). */
export interface RootOptions {
  /** EPT: set EPTP bit 6 so the hardware maintains Accessed and Dirty. Ignored by nPT and stage-2. */
  adEnabled: boolean;
  /** Stage-2: the VMID placed in VTTBR bits 63:48. Ignored by EPT and nPT. */
  vmid: number;
}

export const DEFAULT_ROOT_OPTIONS: RootOptions = { adEnabled: true, vmid: 0 };

/** One named bit field of an entry, for display next to the manual's figure. */
export interface DecodedField {
  name: string;
  /** 'n' for a single bit, 'm:n' for a field. */
  bits: string;
  value: number;
  meaning: string;
}

export interface DecodedEntry {
  format: FormatName;
  kind: EntryKind;
  /** 0xhhhhhhhh_llllllll */
  hex: string;
  present: boolean;
  fields: DecodedField[];
}

export interface EntryFormat {
  readonly name: FormatName;
  /** Human title, e.g. 'Intel EPT'. */
  readonly title: string;
  /**
   * The manual's name for an entry of each GPT level, indexed by level (1 = leaf table ... 4 =
   * root; index 0 unused): EPT and nPT name entries as the x86 manuals do (PML4E, PDPTE, PDE, PTE),
   * stage-2 counts the levels from the root down as the Arm ARM does (L0 at the root ... L3).
   */
  readonly levelNames: readonly string[];
  /** Whether the (emulated) hardware sets Accessed/Dirty itself during a walk. */
  readonly hwAdSupported: boolean;
  /**
   * Low-half bits of which at least one is set in every dirty leaf (isDirty => lo & mask != 0).
   * Lets a harvest skip clean entries with one AND instead of a call.
   */
  readonly dirtyLoMask: number;

  /** A table pointer (non-leaf entry) to the table in frame `frame`. */
  table(out: PteWords, frame: Hfn): void;
  /** A 4 KiB leaf mapping `frame` with rights `prot` (non-zero) and memory type `mt`, A/D clear. */
  leaf(out: PteWords, frame: Hfn, prot: Prot, mt: MemType): void;

  isPresent(lo: number, hi: number): boolean;
  /** Frame named by a present entry (leaf or table). */
  frameOf(lo: number, hi: number): Hfn;
  /** Rights granted by a present leaf (R=1, W=2, X=4). */
  protOf(lo: number, hi: number): Prot;
  memTypeOf(lo: number, hi: number): MemType;

  isAccessed(lo: number, hi: number): boolean;
  isDirty(lo: number, hi: number): boolean;
  /** Accessed set (what the hardware does on any access). */
  setAccessed(out: PteWords, lo: number, hi: number): void;
  /** Accessed set, and Dirty if the leaf grants write (what the hardware does on a write). */
  setDirty(out: PteWords, lo: number, hi: number): void;
  /** Accessed and Dirty cleared. */
  clearAccessed(out: PteWords, lo: number, hi: number): void;
  /** Dirty cleared; Accessed kept. */
  clearDirty(out: PteWords, lo: number, hi: number): void;

  /** The root pointer register value for a tree rooted at frame `root`. */
  rootPointer(out: PteWords, root: Hfn, opts: RootOptions): void;

  /** Named bits for display (students compare these with the manuals). */
  decode(lo: number, hi: number, kind: EntryKind): DecodedEntry;
}

/* ---- helpers shared by the format files ---------------------------------------------------- */

/** Entry names per GPT level for the x86 formats (EPT and nPT), as the SDM and APM name them. */
export const X86_LEVEL_NAMES: readonly string[] = ['', 'PTE', 'PDE', 'PDPTE', 'PML4E'];

/** Arm's names: a 4-level stage-2 walk starts at L0, so GPT level n is L(4 - n). */
export const ARM_LEVEL_NAMES: readonly string[] = ['', 'L3', 'L2', 'L1', 'L0'];

/** The manual's name for an entry at GPT level `level` of `fmt` (4 = root ... 1). */
export const levelName = (fmt: Pick<EntryFormat, 'levelNames'>, level: number): string =>
  fmt.levelNames[level] ?? `level ${level}`;

const TWO20 = 0x100000;

/*
 * A frame address occupies entry bits N:12. Its low 20 bits land in lo 31:12 and the rest in
 * hi (N-32):0; `hiMask` covers those hi bits (0xfffff for bits 51:32, 0xffff for bits 47:32).
 */
export const frameLo = (frame: number): number => ((frame & 0xfffff) << 12) >>> 0;
export const frameHi = (frame: number, hiMask: number): number => Math.floor(frame / TWO20) & hiMask;
export const frameFrom = (lo: number, hi: number, hiMask: number): Hfn =>
  ((lo >>> 12) + (hi & hiMask) * TWO20) as Hfn;

/** Bit n (0..31) of a word, as 0 or 1. */
export const bit = (w: number, n: number): number => (w >>> n) & 1;
/** Bits m:n (m >= n, both within one word). */
export const bits = (w: number, m: number, n: number): number => (w >>> n) & ((1 << (m - n + 1)) - 1);

export const entryHex = (lo: number, hi: number): string =>
  '0x' + (hi >>> 0).toString(16).padStart(8, '0') + '_' + (lo >>> 0).toString(16).padStart(8, '0');

export const field = (name: string, bitsText: string, value: number, meaning: string): DecodedField => ({
  name,
  bits: bitsText,
  value,
  meaning,
});

export const addrField = (frame: number, bitsText: string): DecodedField =>
  field('ADDR', bitsText, frame * PAGE_SIZE, hex(frame * PAGE_SIZE));

/** One line per field, e.g. for a test failure message or a trace. */
export function formatDecoded(d: DecodedEntry): string {
  const head = `${d.format} ${d.kind} ${d.hex}${d.present ? '' : ' (not present)'}`;
  return [head, ...d.fields.map((f) => `  ${f.bits.padStart(5)} ${f.name.padEnd(8)} ${f.meaning}`)].join(
    '\n',
  );
}
