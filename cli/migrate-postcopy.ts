/*
 * The post-copy part of `migrate`'s report (--postcopy): one plain object, the `postcopy` key of
 * --json, and the lines the text report prints in place of the hand-over's RAM check. Its key
 * names are a contract (README, "nestvm migrate"): add keys, never rename.
 *
 *   switch       after `after` pre-copy rounds, `switchPages` (always 0) RAM pages sent while both
 *                sides were stopped, at `atInstructions` source instructions
 *   pages        `pending` missing at the switch = `requested` (page requests: nested faults on the
 *                destination) + `pushed` (background); `discarded` pushes were dropped on landing
 *                because a request had brought the page first (the stale-push hazard)
 *   while        `insnsWhileMissing` destination instructions in the `slices` slices that began
 *                with a page missing; `guestEndedFirst` when the guest stopped before the last page
 *   final RAM    the destination's, page by page against the unmigrated run's (`finalRam`, the
 *                first differing page in `mismatch`)
 */
import { hex } from '../mmu/addr.js';
import type { MigrationResult } from '../emulator/migration/migration.js';
import { groupDigits as n } from './count-text.js';

/** The post-copy phase (README, "nestvm migrate", --postcopy). */
export interface PostcopyReport {
  after: number;
  switchPages: number;
  atInstructions: number;
  pending: number;
  requested: number;
  pushed: number;
  discarded: number;
  missing: number;
  insnsWhileMissing: number;
  slices: number;
  guestEndedFirst: boolean;
  complete: boolean;
  finalRam: 'equal' | 'differs' | null;
  mismatch: { page: number; gpa: number; src: string; dst: string } | null;
}

/** The post-copy object of the report, or null for a pre-copy migration. */
export function postcopyReport(after: number | undefined, r: MigrationResult): PostcopyReport | null {
  const p = r.postcopy;
  if (after === undefined || p === null) return null;
  const ram = r.reference?.ram;
  return {
    after,
    switchPages: p.switchPages,
    atInstructions: p.atInstructions,
    pending: p.pending,
    requested: p.requested,
    pushed: p.pushed,
    discarded: p.discarded,
    missing: p.missing,
    insnsWhileMissing: p.insnsWhileMissing,
    slices: p.slices,
    guestEndedFirst: p.guestEndedFirst,
    complete: p.missing === 0,
    finalRam: ram === undefined ? null : ram === null ? 'equal' : 'differs',
    mismatch: ram ?? null,
  };
}

/** The text report's post-copy lines. */
export function postcopyLines(p: PostcopyReport): string[] {
  const lines = [
    `  switch-over        at ${n(p.atInstructions)} source instructions, ${n(p.switchPages)} RAM pages sent (vCPU and device state only)`,
    `  missing pages      ${n(p.pending)} at the switch: ${n(p.requested)} by page request (faults), ${n(p.pushed)} pushed in the background, ${n(p.discarded)} stale push${p.discarded === 1 ? '' : 'es'} dropped`,
    `  while missing      ${n(p.insnsWhileMissing)} destination instructions in ${n(p.slices)} slice${p.slices === 1 ? '' : 's'}${p.guestEndedFirst ? ' (the guest ended first)' : ''}`,
    `  completed          ${p.complete ? 'yes, every page arrived once' : `no, ${n(p.missing)} pages missing`}`,
  ];
  const m = p.mismatch;
  if (p.finalRam === 'equal') lines.push('  final RAM          equal to an unmigrated run (a hash per page)');
  else if (m !== null)
    lines.push(
      `nestvm: final RAM differs from an unmigrated run: page ${n(m.page)} (guest-physical ${hex(m.gpa)}), reference hash ${m.src}, destination hash ${m.dst}`,
    );
  return lines;
}
