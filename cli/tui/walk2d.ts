/*
 * From mmu/guest-walk's two-dimensional walk to the GPT pane's list of references.
 *
 * walkTwoDimensional() already lists every reference in hardware order, side-effect free; the rows
 * are built by cli/walk-refs.ts, the same view `nestvm walk --virtual` prints, so both number the
 * references from 1, name levels in each side's own terms (guest PML4E..PTE or L0..L3; nested EPT
 * and nPT PML4E..PTE, stage-2 L0..L3) and count the same ones: up to 24 for a 4x4-level walk, 4
 * with paging off. One last row follows, with no number of its own: the data access (the final
 * address and where it lives), or why the walk stopped.
 */
import type { EntryFormat } from '../../mmu/gpt/entry-format.js';
import type { GuestPaging, TwoDimWalk } from '../../mmu/guest-walk/index.js';
import { guestLevelName } from '../../mmu/guest-walk/index.js';
import { gpa as toGpa, hpa as toHpa } from '../../mmu/addr.js';
import { walkRefViews } from '../walk-refs.js';
import type { Walk2dRef } from './model.js';
import { rawOf } from './gpt-fields.js';

export function walk2dRefs(
  w: TwoDimWalk,
  paging: GuestPaging,
  format: Pick<EntryFormat, 'levelNames'>,
): Walk2dRef[] {
  const out: Walk2dRef[] = walkRefViews(w, paging, format).map((r): Walk2dRef => ({
    order: r.n,
    space: r.space,
    level: r.level,
    gpa: toGpa(r.gpa),
    hpa: toHpa(r.hpa),
    raw: rawOf(r.lo, r.hi),
    note: r.note,
  }));
  const result = resultRow(w, paging, out[out.length - 1]);
  if (result) out.push(result);
  return out;
}

/* The row after the references: the data access, or why the walk stopped (not a reference). */
function resultRow(w: TwoDimWalk, paging: GuestPaging, last: Walk2dRef | undefined): Walk2dRef | null {
  const row = { order: null, space: 'data', level: '' } as const;
  if (w.final) {
    const f = w.final.fault;
    const note = f ? `nested fault: ${f.reason} at L${f.level}` : undefined;
    return { ...row, gpa: w.final.gpa, hpa: w.final.hpa, note };
  }
  if (w.guest.kind === 'nested-miss')
    return { ...row, gpa: w.guest.gpa, note: `stopped: no nested mapping for this guest table` };
  if (w.guest.kind === 'guest-fault' && last) {
    const at = guestLevelName(paging.arch, w.guest.level);
    return { ...row, gpa: last.gpa, note: `stopped: guest page fault (${w.guest.reason}) at ${at}` };
  }
  return null;
}
