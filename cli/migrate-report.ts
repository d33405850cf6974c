/*
 * What `migrate` reports: one plain object that is both the --json output and the source of the
 * text report (a table of rounds, then the totals, the hand-over and the verdict), so the two
 * never disagree. Its key names are a contract (README, "nestvm migrate"): add keys, never rename.
 *
 * With --postcopy the report gains a `postcopy` object (null without it): the switch after the
 * pre-copy rounds (zero RAM pages sent at it), the pages that came by page request and by push,
 * the destination's instructions while pages were missing, and the final RAM against the
 * unmigrated run's (postcopyReport). The rounds table stays as it is.
 *
 * The exit status follows from it (`migrateStatus`): a RAM check that found a differing page, or a
 * destination that did not print and stop as the unmigrated run did, is 4; otherwise the guest's
 * own status, as `run` gives it.
 */
import { hex } from '../mmu/addr.js';
import type { MigrationResult } from '../emulator/migration/migration.js';
import type { RoundRecord } from '../emulator/migration/precopy.js';
import { groupDigits as n } from './count-text.js';
import { EXIT } from './exit-codes.js';
import { postcopyLines, postcopyReport, type PostcopyReport } from './migrate-postcopy.js';

/** One side's host: format, layout and seed. */
export interface SideText {
  format: string;
  hostLayout: string;
  seed: number;
}

export interface MigrateParams {
  bandwidth: number;
  slice: number;
  downtimePages: number;
  maxRounds: number;
  startAfter: number;
}

export interface MigrateReport {
  guest: string;
  arch: string;
  source: SideText;
  destination: SideText;
  options: MigrateParams;
  rounds: RoundRecord[];
  totalSent: number;
  stopAndCopy: number;
  converged: boolean;
  precopy: MigrationResult['precopy'];
  instructions: { source: number; destination: number };
  handover: {
    atInstructions: number;
    ram: 'equal' | 'differs' | 'postcopy';
    mismatch: { page: number; gpa: number; src: string; dst: string } | null;
  } | null;
  exit: { reason: string; code: number; message?: string } | null;
  console: string;
  reference: { console: boolean; exit: boolean; instructions: boolean } | null;
  postcopy: PostcopyReport | null;
}

export function migrateReport(
  head: {
    guest: string;
    arch: string;
    source: SideText;
    destination: SideText;
    options: MigrateParams;
    postcopyAfter?: number;
  },
  r: MigrationResult,
): MigrateReport {
  const { postcopyAfter, ...top } = head;
  const h = r.handover;
  const stop = r.stop;
  const ref = r.reference;
  return {
    ...top,
    rounds: [...r.rounds],
    totalSent: r.totalSent,
    stopAndCopy: h?.stopAndCopy ?? 0,
    converged: r.converged,
    precopy: r.precopy,
    instructions: r.instructions,
    handover:
      h === null
        ? null
        : {
            atInstructions: h.atInstructions,
            ram: r.postcopy !== null ? 'postcopy' : h.mismatch === null ? 'equal' : 'differs',
            mismatch: h.mismatch,
          },
    exit:
      stop === null
        ? null
        : { reason: stop.reason, code: stop.code, ...(stop.message ? { message: stop.message } : {}) },
    console: r.console,
    reference: ref === null ? null : { console: ref.console, exit: ref.exit, instructions: ref.instructions },
    postcopy: postcopyReport(postcopyAfter, r),
  };
}

/** The process status: 4 for a failed check, else the guest's own. */
export function migrateStatus(r: MigrateReport): number {
  if (r.handover?.mismatch || r.postcopy?.finalRam === 'differs') return EXIT.guestFault;
  const ref = r.reference;
  if (ref !== null && !(ref.console && ref.exit && ref.instructions)) return EXIT.guestFault;
  return r.exit?.code ?? EXIT.guestFault;
}

const FORMAT_TEXT: Record<string, string> = { ept: 'EPT', npt: 'nPT', s2: 'stage-2' };

const sideText = (s: SideText): string =>
  `${FORMAT_TEXT[s.format] ?? s.format}, ${s.hostLayout === 'scattered' ? `scattered seed ${s.seed}` : s.hostLayout}`;

/* The table of rounds, right-aligned columns. */
function roundRows(rounds: readonly RoundRecord[]): string[] {
  const head = ['round', 'sent', 'dirtied', 'insns', 'dirty/Minsn', 'remaining'];
  const rows = rounds.map((r) => [r.round, r.sent, r.dirtied, r.insns, r.rate, r.remaining].map(n));
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => '  ' + cells.map((c, i) => c.padStart(widths[i])).join('  ');
  return [line(head), ...rows.map(line)];
}

/* What the hand-over and the destination's run came to. */
function verdictLines(r: MigrateReport): string[] {
  const h = r.handover;
  if (h === null)
    return ['nestvm: the guest stopped on the source before the hand-over: nothing was migrated'];
  if (h.mismatch !== null) {
    const m = h.mismatch;
    return [
      `nestvm: RAM differs at the hand-over: page ${n(m.page)} (guest-physical ${hex(m.gpa)}), source hash ${m.src}, destination hash ${m.dst}; the destination did not run`,
    ];
  }
  const lines =
    r.postcopy === null
      ? ['  RAM at hand-over   equal on both sides (a hash per page)']
      : postcopyLines(r.postcopy);
  const ref = r.reference;
  if (ref !== null) {
    const same = ref.console && ref.exit && ref.instructions;
    const what = [!ref.console && 'console', !ref.exit && 'exit', !ref.instructions && 'instruction count']
      .filter(Boolean)
      .join(', ');
    lines.push(
      same
        ? '  verified           console, exit status and instruction count equal an unmigrated run'
        : `nestvm: the destination differs from an unmigrated run (${what})`,
    );
  }
  return lines;
}

export function migrateText(r: MigrateReport): string {
  const o = r.options;
  const sep = r.console.length > 0 && !r.console.endsWith('\n') ? '\n' : '';
  const ins = r.instructions;
  const lines = [
    `${sep}nestvm: live migration of the ${r.arch} guest, ${sideText(r.source)} -> ${sideText(r.destination)}`,
    r.postcopy === null
      ? `  ${n(o.bandwidth)} pages per slice of ${n(o.slice)} instructions; stop-and-copy below ${n(o.downtimePages)} dirty pages or after ${n(o.maxRounds)} rounds`
      : `  ${n(o.bandwidth)} pages per slice of ${n(o.slice)} instructions; post-copy after ${n(r.postcopy.after)} round${r.postcopy.after === 1 ? '' : 's'}`,
    ...(r.rounds.length === 0 && r.postcopy !== null ? ['  no pre-copy round'] : roundRows(r.rounds)),
    r.postcopy === null
      ? `  total sent         ${n(r.totalSent)} pages (${n(r.stopAndCopy)} in the stop-and-copy)`
      : `  total sent         ${n(r.totalSent)} pages (${n(r.postcopy.requested + r.postcopy.pushed)} after the switch)`,
    ...(r.postcopy === null
      ? [
          `  converged          ${r.converged ? 'yes' : r.precopy === 'max-rounds' ? 'no (max rounds)' : 'no'}`,
        ]
      : []),
    `  instructions       ${n(ins.source)} on the source, ${n(ins.destination)} on the destination`,
  ];
  const e = r.exit;
  if (e !== null) {
    lines.push(`  guest              ${e.reason}, exit status ${e.code}`);
    if (e.reason !== 'halt' && e.reason !== 'exit' && e.message) lines.push(`nestvm: ${e.message}`);
  }
  lines.push(...verdictLines(r));
  return lines.join('\n') + '\n';
}
