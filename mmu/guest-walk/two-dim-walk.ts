/*
 * The two-dimensional walk, every memory reference listed in order (DESIGN §1), for display.
 *
 * With guest paging on, each guest table entry sits at a guest-physical address, which the nested
 * tables must translate before the entry can be read. So one guest translation costs:
 *
 *     guest level:      L4            L3            L2            L1          final GPA
 *                   n n n n G     n n n n G     n n n n G     n n n n G      n n n n
 *                   \_____/ |     \_____/ |                                  \_____/
 *     nested walk of the    guest entry itself                             nested walk of
 *     table's GPA           (read at the host address found)               the data address
 *
 *   4 guest levels x (4 nested + 1 guest) + 4 nested = 24 references. A guest large page ends the
 *   guest dimension early (a 2 MiB leaf: 19; 1 GiB: 14). With guest paging off there are only the
 *   4 nested references of the address itself.
 *
 * The walk here is side-effect-free: the guest walker runs with dryRun (no A/D stores) and the
 * nested walker is required to have no side effects. Guest entries are read from host RAM at the
 * host-physical address the nested walk found, exactly as the hardware would.
 *
 * Invariants of the result:
 *  - refs[i].index === i; references appear in the order the hardware makes them;
 *  - every guest reference is immediately preceded by the nested references that located it, and
 *    its `hpa` is the `hpa` those nested references produced;
 *  - `guest` is exactly what walkGuest(..., { dryRun: true }) returns for the same state;
 *  - when the walk stops (guest fault or nested miss) no reference after the stopping one is listed.
 */

import type { Gpa, Gva, Hpa } from '../addr.js';
import type { AccessKind } from '../prot.js';
import {
  nestedMiss,
  type EntryField,
  type GuestPhysAccess,
  type HostRam,
  type NestedStep,
  type NestedWalker,
} from './guest-phys.js';
import { decodeGuestEntry, guestLevelName, walkGuest, type GuestPaging } from './guest-paging.js';
import { wordHex, type GuestEntryDecoded, type WalkResult } from './walk-result.js';

/** A nested-table entry read while translating `translating`. */
export interface NestedRef {
  readonly index: number;
  readonly dim: 'nested';
  /** Translating a guest table's address, or the final data address. */
  readonly purpose: 'guest-table' | 'final';
  /** For 'guest-table': the guest level whose table is being located; null for 'final'. */
  readonly guestLevel: number | null;
  /** The guest-physical address being translated. */
  readonly translating: Gpa;
  /** GPT level of the entry (4 = root ... 1). */
  readonly level: number;
  /** Host-physical location of the nested entry. */
  readonly pte: Hpa;
  readonly lo: number;
  readonly hi: number;
  readonly fields: readonly EntryField[];
}

/** A guest page-table entry read. */
export interface GuestRef {
  readonly index: number;
  readonly dim: 'guest';
  /** Guest level, in the architecture's numbering. */
  readonly level: number;
  /** Guest-physical address of the entry. */
  readonly entry: Gpa;
  /** Host-physical address it was read from. */
  readonly hpa: Hpa;
  readonly lo: number;
  readonly hi: number;
  readonly decoded: GuestEntryDecoded;
}

export type WalkRef = NestedRef | GuestRef;

export interface TwoDimWalk {
  readonly gva: Gva;
  readonly refs: readonly WalkRef[];
  /** The guest dimension's outcome (dry run). */
  readonly guest: WalkResult;
  /** The nested walk of the final guest-physical address, when the guest dimension succeeded. */
  readonly final?: {
    readonly gpa: Gpa;
    readonly hpa?: Hpa;
    readonly fault?: { reason: string; level: number };
  };
}

type MutableNested = { -readonly [K in keyof NestedRef]: NestedRef[K] };

/** List every reference of the translation of `gva`, without changing any state. */
export function walkTwoDimensional(
  paging: GuestPaging | null,
  gva: Gva,
  access: AccessKind,
  user: boolean,
  nested: NestedWalker,
  ram: HostRam,
): TwoDimWalk {
  const refs: WalkRef[] = [];
  let pendingFrom = 0; // first nested ref not yet attributed to a guest level
  let lastHpa = -1;

  const pushNested = (gpa: Gpa, acc: AccessKind, purpose: NestedRef['purpose']) => {
    const w = nested.walk(gpa, acc);
    for (const s of w.steps) refs.push(nestedRef(refs.length, gpa, purpose, s));
    return w;
  };
  const attribute = (level: number) => {
    for (let i = pendingFrom; i < refs.length; i++) (refs[i] as MutableNested).guestLevel = level;
    pendingFrom = refs.length;
  };

  const mem: GuestPhysAccess = {
    read64(gpa, out) {
      const w = pushNested(gpa, 'read', 'guest-table');
      const at = w.hpa === undefined || w.fault !== undefined ? -1 : (w.hpa as number);
      if (at < 0 || at + 8 > ram.u32.length * 4) return nestedMiss(gpa, 'read');
      out.lo = ram.u32[at / 4];
      out.hi = ram.u32[at / 4 + 1];
      lastHpa = at;
      return null;
    },
    write32() {
      throw new Error('two-dimensional walk is a dry run: the guest walker must not store');
    },
  };
  const onEntry = (level: number, entry: Gpa, lo: number, hi: number) => {
    attribute(level);
    const decoded = decodeGuestEntry(paging === null ? 'x86_64' : paging.arch, lo, hi, level);
    refs.push({ index: refs.length, dim: 'guest', level, entry, hpa: lastHpa as Hpa, lo, hi, decoded });
    pendingFrom = refs.length;
  };

  const guest = walkGuest(paging, mem, gva, access, user, { dryRun: true, onEntry });
  if (guest.kind === 'nested-miss') attribute(guest.level);
  if (guest.kind !== 'ok') return { gva, refs, guest };
  const w = pushNested(guest.gpa, access, 'final');
  return { gva, refs, guest, final: { gpa: guest.gpa, hpa: w.hpa, fault: w.fault } };
}

/* Reference number `index`: nested step `s` of the walk translating `gpa`, its guest level not yet known. */
function nestedRef(index: number, gpa: Gpa, purpose: NestedRef['purpose'], s: NestedStep): MutableNested {
  return {
    index,
    dim: 'nested',
    purpose,
    guestLevel: null,
    translating: gpa,
    level: s.level,
    pte: s.pte,
    lo: s.lo >>> 0,
    hi: s.hi >>> 0,
    fields: s.fields ?? [],
  };
}

/*
 * How every view numbers and counts references (the CLI's `walk --virtual` and the TUI's GPT pane
 * both use these, so they cannot disagree): references are numbered from 1 in the order the
 * hardware makes them, and a walk's count is the number of table entries it read in both
 * dimensions (24 for 4 x 4 levels). The data access that follows a successful walk is its result,
 * not one of its references: it is neither numbered nor counted.
 */
export const refNumber = (r: WalkRef): number => r.index + 1;
export const refCount = (w: TwoDimWalk): number => w.refs.length;

/** One line per reference, for traces and test messages (nested levels named by `nestedLevel`). */
export function formatWalkRef(
  paging: GuestPaging | null,
  r: WalkRef,
  nestedLevel: (level: number) => string = (l) => `L${l}`,
): string {
  const h = (n: number) => '0x' + n.toString(16);
  const n = `#${refNumber(r)}`;
  if (r.dim === 'guest') {
    const name = paging === null ? `L${r.level}` : guestLevelName(paging.arch, r.level);
    return `${n} guest  ${name.padEnd(6)} gpa ${h(r.entry)} (hpa ${h(r.hpa)}) = ${wordHex(r.lo, r.hi)} ${r.decoded.kind}`;
  }
  const why = r.purpose === 'final' ? 'data' : `guest ${guestTableName(paging, r.guestLevel)} table`;
  return `${n} nested ${nestedLevel(r.level).padEnd(6)} for ${why} gpa ${h(r.translating)}: pte hpa ${h(r.pte)} = ${wordHex(r.lo, r.hi)}`;
}

/* The guest level whose table a nested reference locates, in the guest architecture's names. */
export function guestTableName(paging: GuestPaging | null, level: number | null): string {
  if (level === null) return '?';
  return paging === null ? `L${level}` : guestLevelName(paging.arch, level);
}
