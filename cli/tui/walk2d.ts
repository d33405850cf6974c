/*
 * From mmu/guest-walk's two-dimensional walk to the GPT pane's list of references.
 *
 * walkTwoDimensional() already lists every reference in hardware order, side-effect free; this only
 * renames its fields into the TUI's plain-data Walk2dRef, and appends one last row: the data
 * reference (the final address and where it lives), or why the walk stopped. Up to 24 references for a 4x4-level walk, 4 with paging off.
 */
import type { TwoDimWalk } from '../../mmu/guest-walk/two-dim-walk.js';
import type { Walk2dRef } from './model.js';
import { rawOf } from './gpt-fields.js';

export function walk2dRefs(w: TwoDimWalk, guestLevelName: (level: number) => string): Walk2dRef[] {
  const out: Walk2dRef[] = w.refs.map((r, i): Walk2dRef => {
    if (r.dim === 'guest') {
      return {
        order: i + 1,
        space: 'guest',
        level: guestLevelName(r.level),
        gpa: r.entry,
        hpa: r.hpa,
        raw: rawOf(r.lo, r.hi),
        note: r.decoded.kind,
      };
    }
    const why = r.purpose === 'final' ? 'for data' : `for guest ${guestLevelName(r.guestLevel ?? 0)} table`;
    return {
      order: i + 1,
      space: 'nested',
      level: `L${r.level}`,
      gpa: r.translating,
      hpa: r.pte,
      raw: rawOf(r.lo, r.hi),
      note: why,
    };
  });
  const order = out.length + 1;
  if (w.final) {
    const note = w.final.fault
      ? `nested fault: ${w.final.fault.reason} at L${w.final.fault.level}`
      : undefined;
    out.push({ order, space: 'data', level: '', gpa: w.final.gpa, hpa: w.final.hpa, note });
  } else if (w.guest.kind === 'nested-miss') {
    out.push({
      order,
      space: 'data',
      level: '',
      gpa: w.guest.gpa,
      note: `stopped: no nested mapping for this guest table`,
    });
  } else if (w.guest.kind === 'guest-fault') {
    const last = out[out.length - 1];
    const note = `stopped: guest page fault (${w.guest.reason}) at ${guestLevelName(w.guest.level)}`;
    if (last) out.push({ order, space: 'data', level: '', gpa: last.gpa, note });
  }
  return out;
}
