/*
 * The Dirty pane's migration block (`tui --migrate`), as plain lines: a head naming the phase and
 * the side the panes show, the table of rounds closed so far (the newest that fit), the round
 * being sent, and once the pre-copy ended the hand-over and the verdict.
 *
 *   migrate: pre-copy, source              (the phase, the side the panes show)
 *    round  sent  dirtied  rate  left      (rate: pages dirtied per million instructions)
 *        0   148      101  1010   101
 *        1   101       40   400    40
 *   round 2: sending 16 of 40
 *   converged: stop-and-copy 12            (or "not converged", after --max-rounds)
 *   verified: = unmigrated run             (console, exit status, instruction count)
 *
 * The block takes at most half of the pane's lines (z zooms the pane for more), so the
 * grid stays in view; older rounds give way first. Pure: the same MigrationInfo and room give the
 * same lines, and `migrationLineCount` is what the pane and the key reducer subtract from the grid.
 */
import type { MigrationInfo, MigrationRound } from './model.js';

/** `rate` is pages dirtied per million guest instructions; `left` what the next round (or the stop-and-copy) sends. */
const HEAD = ['round', 'sent', 'dirtied', 'rate', 'left'];

function roundCells(r: MigrationRound): string[] {
  return [r.round, r.sent, r.dirtied, r.rate, r.remaining].map(String);
}

/* The table's lines, right-aligned under the head, the newest `keep` rounds. */
function tableLines(rounds: readonly MigrationRound[], keep: number): string[] {
  const rows = rounds.slice(Math.max(0, rounds.length - keep)).map(roundCells);
  const widths = HEAD.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => ' ' + cells.map((c, i) => c.padStart(widths[i])).join('  ');
  return [line(HEAD), ...rows.map(line)];
}

/* The lines after the table: the open round, the hand-over, the verdict. */
function tailLines(m: MigrationInfo): string[] {
  const out: string[] = [];
  if (m.open !== null) out.push(`round ${m.open.round}: sending ${m.open.sent} of ${m.open.queued}`);
  const h = m.handover;
  if (h !== null) out.push(`${h.converged ? 'converged' : 'not converged'}: stop-and-copy ${h.stopAndCopy}`);
  if (m.verdict !== null) out.push(m.verdict);
  return out;
}

/** The block's lines in a pane of `height` lines. */
export function migrationLines(m: MigrationInfo | undefined, height: number): string[] {
  if (m === undefined) return [];
  const room = Math.max(2, Math.floor(height / 2));
  const head = `migrate: ${m.phase}, ${m.side}`;
  const tail = tailLines(m);
  const keep = Math.max(0, room - 2 - tail.length);
  const table = m.rounds.length === 0 || keep === 0 ? [] : tableLines(m.rounds, keep);
  return [head, ...table, ...tail].slice(0, room);
}

/** How many of the pane's lines the block takes. */
export function migrationLineCount(m: MigrationInfo | undefined, height: number): number {
  return migrationLines(m, height).length;
}
