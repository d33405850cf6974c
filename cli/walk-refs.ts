/*
 * One view of the references of a two-dimensional walk, for every screen that lists them: the
 * `walk --virtual` report (text and --json, cli/walk-report.ts) and the TUI's GPT pane
 * (cli/tui/walk2d.ts) both build their rows here, so a reference has the same number, level name,
 * location and decoded bits in both, and both count the same references.
 *
 *   n        1, 2, ... in the order the hardware makes the references (refNumber, mmu/guest-walk)
 *   space    'nested' (an entry of the nested tables) or 'guest' (an entry of the guest's own)
 *   level    the manual's name of the entry, each side in its own architecture's terms:
 *              guest x86-64  PML4E PDPTE PDE PTE        guest arm64  L0 L1 L2 L3
 *              nested EPT, nPT  PML4E PDPTE PDE PTE     nested stage-2  L0 L1 L2 L3
 *   gpa      nested: the guest-physical address being translated; guest: the entry's own address
 *   hpa      where the entry was read in host memory
 *   raw      the entry as 0xhhhhhhhh_llllllll; fields: its bits named (the format's decode() for
 *            nested entries, the guest architecture's decoder for guest entries)
 *   note     nested: which table or data address it locates; guest: table, leaf, invalid, reserved
 *
 * The count of a walk is the number of these references (refCount): the data access after a
 * successful walk is its result, not a reference, so it is reported apart (24 references for a
 * 4 x 4-level walk, not 25).
 */
import type { EntryFormat } from '../mmu/gpt/entry-format.js';
import { levelName } from '../mmu/gpt/entry-format.js';
import {
  guestLevelName,
  guestTableName,
  refNumber,
  wordHex,
  type EntryField,
  type GuestPaging,
  type TwoDimWalk,
} from '../mmu/guest-walk/index.js';

export interface WalkRefView {
  n: number;
  space: 'nested' | 'guest';
  level: string;
  gpa: number;
  hpa: number;
  raw: string;
  /** The two halves of the entry, unsigned (for screens that keep the raw value as a number). */
  lo: number;
  hi: number;
  note: string;
  fields: EntryField[];
}

/** Every reference of `w`, numbered and named (`paging` null: the guest pages not; only nested refs). */
export function walkRefViews(
  w: TwoDimWalk,
  paging: GuestPaging | null,
  format: Pick<EntryFormat, 'levelNames'>,
): WalkRefView[] {
  return w.refs.map((r): WalkRefView => {
    const common = { n: refNumber(r), raw: wordHex(r.lo, r.hi), lo: r.lo >>> 0, hi: r.hi >>> 0 };
    if (r.dim === 'guest') {
      const level = paging === null ? `L${r.level}` : guestLevelName(paging.arch, r.level);
      const fields = r.decoded.fields.map((f) => ({ ...f }));
      return { ...common, space: 'guest', level, gpa: r.entry, hpa: r.hpa, note: r.decoded.kind, fields };
    }
    const note =
      r.purpose === 'final' ? 'for data' : `for guest ${guestTableName(paging, r.guestLevel)} table`;
    return {
      ...common,
      space: 'nested',
      level: levelName(format, r.level),
      gpa: r.translating,
      hpa: r.pte,
      note,
      fields: r.fields.map((f) => ({ ...f })),
    };
  });
}
