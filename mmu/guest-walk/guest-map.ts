/*
 * Every mapping of the guest's own page tables, as ranges (what QEMU's `info mem` and xv6's
 * `vmprint` show): guest-virtual start and length, the guest-physical address it reaches, and the
 * rights at each privilege.
 *
 * The tables are visited root first, depth first, in address order, reading each entry through the
 * GuestPhysAccess given (for a live machine, the side-effect-free nested composition, so nothing
 * is written: no Accessed or Dirty bit, no hold). Each region the architecture has is its own tree:
 *
 *   x86-64   one tree at CR3, levels 4 (PML4) to 1 (PT); the upper half of the PML4 (index 256
 *            and up) maps the canonical high addresses 0xffff_8000_0000_0000 and up
 *   arm64    TTBR0 from address 0 and, when the configuration has it, TTBR1 ending at 2^64; each
 *            starts at the level its TxSZ asks for (L0 for 48 bits, L1 for 39, ...)
 *
 * The rights of a leaf are not re-derived here: each leaf's first address is walked once more by
 * walkGuest (dry run), at supervisor and at user privilege, so the rights shown are exactly those
 * the walker grants, table restrictions (x86 U/S and R/W at every level, arm64 APTable, XNTable)
 * and CR0.WP, SCTLR.WXN, PAN included. A leaf no access may use at either privilege (arm64 AF = 0
 * without hardware AF) is still listed, with no rights.
 *
 * Ranges merge when they follow each other in both spaces (the next gva and gpa continue the
 * previous) with the same rights. Addresses are JS numbers: every page address below 2^64 is
 * exact as a double, and starts and lengths here are page multiples, so their sums stay exact.
 *
 * Invariants: ranges are sorted by gva and never overlap; each range's len is a multiple of 4 KiB;
 * walkGuest(gva + k) for k < len is 'ok' with gpa + k wherever the range's rights allow a read.
 */
import { gpa as toGpa, gva as toGva, pageAlignDown } from '../addr.js';
import type { AccessKind, Prot } from '../prot.js';
import { newWord64, type GuestPhysAccess } from './guest-phys.js';
import { walkGuest, type GuestPaging } from './guest-paging.js';
import { a64Address, a64Kind } from './arm64-descriptor.js';
import { X86_P, X86_PS, x86EntryAddress, x86IsLeaf } from './x86-entry.js';

export interface GuestRange {
  /** First guest-virtual address (page aligned). */
  readonly gva: number;
  readonly len: number;
  /** Guest-physical address of the first byte. */
  readonly gpa: number;
  /** Rights at supervisor (x86 CPL 0, arm64 EL1) and at user privilege (CPL 3, EL0). */
  readonly kernel: Prot;
  readonly user: Prot;
  /** Size of the leaves that make up the range (4 KiB, 2 MiB, 1 GiB). */
  readonly pageSize: number;
}

/* One tree of tables: where its root is, its first level, how many entries that level has. */
interface Tree {
  readonly root: number;
  readonly start: number;
  readonly entries: number;
  /** The address its entry 0 maps. */
  readonly base: number;
}

/* How one architecture's entries read: leaf or table, where they point, what a level spans. */
interface Shape {
  readonly last: number;
  readonly step: -1 | 1;
  span(level: number): number;
  kind(lo: number, hi: number, level: number): 'invalid' | 'table' | 'leaf';
  address(lo: number, hi: number): number;
  /** The address an index of the top level maps, beyond the tree's base (x86's sign extension). */
  topAddress(tree: Tree, index: number): number;
}

const TWO47 = 2 ** 47;
const TWO64 = 2 ** 64;

const X86: Shape = {
  last: 1,
  step: -1,
  span: (level) => 2 ** (12 + 9 * (level - 1)),
  kind: (lo, _hi, level) => {
    if ((lo & X86_P) === 0 || (level === 4 && (lo & X86_PS) !== 0)) return 'invalid'; // PS is reserved in a PML4E
    return x86IsLeaf(lo, level) ? 'leaf' : 'table';
  },
  address: x86EntryAddress,
  topAddress: (_tree, i) => i * 2 ** 39 + (i >= 256 ? TWO64 - 2 * TWO47 : 0),
};

const ARM64: Shape = {
  last: 3,
  step: 1,
  span: (level) => 2 ** (12 + 9 * (3 - level)),
  kind: (lo, _hi, level) => {
    const k = a64Kind(lo, level);
    return k === 'reserved' ? 'invalid' : k;
  },
  address: a64Address,
  topAddress: (tree, i) => tree.base + i * 2 ** (12 + 9 * (3 - tree.start)),
};

function arm64Tree(root: number, tsz: number, high: boolean): Tree {
  const ia = 64 - Math.min(39, Math.max(16, tsz));
  const start = ia > 39 ? 0 : ia > 30 ? 1 : 2;
  const entries = 2 ** (ia - (12 + 9 * (3 - start)));
  return { root: pageAlignDown(root), start, entries, base: high ? TWO64 - 2 ** ia : 0 };
}

function trees(paging: GuestPaging): { shape: Shape; trees: Tree[] } {
  if (paging.arch === 'x86_64') {
    return { shape: X86, trees: [{ root: pageAlignDown(paging.cfg.cr3), start: 4, entries: 512, base: 0 }] };
  }
  const c = paging.cfg;
  const out: Tree[] = [];
  if (c.epd0 !== true && c.granule4k0 !== false) out.push(arm64Tree(c.ttbr0, c.t0sz, false));
  if (c.ttbr1 !== undefined && c.t1sz !== undefined && c.epd1 !== true && c.granule4k1 !== false)
    out.push(arm64Tree(c.ttbr1, c.t1sz, true));
  return { shape: ARM64, trees: out };
}

/** Every mapping of the guest's tables, merged into ranges (empty while paging is off). */
export function guestRanges(paging: GuestPaging | null, mem: GuestPhysAccess): GuestRange[] {
  if (paging === null) return [];
  const { shape, trees: list } = trees(paging);
  const out: GuestRange[] = [];
  const leaf = (va: number, pa: number, size: number) => addLeaf(out, paging, mem, va, pa, size);
  for (const t of list) visit(shape, mem, t.root, t.start, t.entries, (i) => shape.topAddress(t, i), leaf);
  return out;
}

type OnLeaf = (va: number, pa: number, size: number) => void;

/* Visit the `entries` entries of the table at `table` (level `level`), entry i mapping vaOf(i). */
function visit(
  shape: Shape,
  mem: GuestPhysAccess,
  table: number,
  level: number,
  entries: number,
  vaOf: (i: number) => number,
  onLeaf: OnLeaf,
): void {
  const w = newWord64();
  const span = shape.span(level);
  for (let i = 0; i < entries; i++) {
    if (mem.read64(toGpa(table + i * 8), w) !== null) return; // the table page is not reachable
    const kind = shape.kind(w.lo, w.hi, level);
    if (kind === 'invalid') continue;
    const va = vaOf(i);
    const at = shape.address(w.lo, w.hi);
    if (kind === 'leaf') onLeaf(va, at - (at % span), span);
    else if (level !== shape.last)
      visit(shape, mem, at, level + shape.step, 512, (j) => va + j * shape.span(level + shape.step), onLeaf);
  }
}

/* The rights a dry walk grants at one privilege: data (read, then write) or execute-only. */
function rightsAt(paging: GuestPaging, mem: GuestPhysAccess, va: number, user: boolean): Prot {
  const tries: AccessKind[] = ['read', 'exec'];
  for (const access of tries) {
    const r = walkGuest(paging, mem, toGva(va), access, user, { dryRun: true });
    if (r.kind === 'ok') return r.prot;
  }
  return 0;
}

function addLeaf(
  out: GuestRange[],
  paging: GuestPaging,
  mem: GuestPhysAccess,
  va: number,
  pa: number,
  size: number,
): void {
  const kernel = rightsAt(paging, mem, va, false);
  const user = rightsAt(paging, mem, va, true);
  const prev = out[out.length - 1];
  if (
    prev !== undefined &&
    prev.gva + prev.len === va &&
    prev.gpa + prev.len === pa &&
    prev.kernel === kernel &&
    prev.user === user &&
    prev.pageSize === size
  ) {
    out[out.length - 1] = { ...prev, len: prev.len + size };
    return;
  }
  out.push({ gva: va, len: size, gpa: pa, kernel, user, pageSize: size });
}
