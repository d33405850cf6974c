/*
 * Lab `precopy`: the pre-copy live-migration loop.
 *
 * The student writes precopy.js: precopy(src, link, opts) migrates a running guest from the
 * source Machine over a link of limited bandwidth (harness.mjs) to a destination Machine: the
 * rounds over the dirty log while the guest runs, the stop-and-copy, the hand-over of the vCPU
 * and device state. The grader runs it on four seeded guests (cases.ts) and judges, in its own
 * process, against an unmigrated run and nestvm's own pre-copy (figures.ts):
 *
 *   console-and-exit  the destination prints what an unmigrated run prints, stops the same way
 *                     and runs as many instructions in all (steady, trickle, device)
 *   ram-at-handover   the destination's RAM at the hand-over is the source's, hash per page
 *   pages-sent        pages sent in all at most 1.25 x nestvm's own pre-copy + 8
 *   stop-and-copy     pages sent while the guest is stopped at most 1.25 x nestvm's + 4
 *   non-convergent    on the runaway guest: stops after maxRounds rounds, reports converged:
 *                     false, hands over within the stop-and-copy bound, and the guest finishes right
 */
import {
  defineLab,
  fail,
  pass,
  type CheckContext,
  type CheckDefinition,
  type Verdict,
} from '../framework/lab-api.js';
import { batchFailure } from '../framework/case-check.js';
import { LAYOUT, packagePath } from '../../index.js';
import { caseName, casesText, precopyParams, type GuestCase, type PrecopyParams } from './cases.js';
import { FILE, gradedFor, hashesAt, type CaseFigures, type StudentRun } from './figures.js';

type Ctx = CheckContext<PrecopyParams>;
type Check = CheckDefinition<PrecopyParams>;
/** What a judge is told of one case. */
interface Seen {
  readonly c: GuestCase;
  readonly fig: CaseFigures;
  readonly run: StudentRun;
}
type Judge = (s: Seen) => string | null;

const TIME_LIMIT_MS = 30_000;
export const SENT_FACTOR = 1.25;
export const SENT_SLACK = 8;
export const STOP_SLACK = 4;

const bound = (ref: number, slack: number) => Math.ceil(SENT_FACTOR * ref) + slack;

/* Run `judge` over the cases `which` picks; the first problem, named with its case. */
const overCases =
  (which: (c: GuestCase) => boolean, judge: Judge) =>
  async (ctx: Ctx): Promise<Verdict> => {
    const graded = gradedFor(ctx);
    if (graded === null) return fail(`${FILE} is missing`);
    const { figures, batch } = await graded;
    if (batch.kind !== 'done') return fail(batchFailure(batch)!);
    for (const [i, c] of ctx.params.cases.entries()) {
      if (!which(c)) continue;
      const o = batch.outcomes[i];
      if (!o.ok) return fail(`${o.error} (precopy, ${caseName(c)})`);
      const p = judge({ c, fig: figures[i], run: o.value as StudentRun });
      if (p !== null) return fail(`${caseName(c)}: ${p}`);
    }
    return pass;
  };

const converging = (c: GuestCase) => c.role !== 'runaway';

function consoleProblem({ fig, run }: Seen): string | null {
  if (run.console !== fig.console) {
    const a = run.console.split('\n');
    const b = fig.console.split('\n');
    const line = a.findIndex((l, i) => l !== b[i]);
    return `the destination's console differs from an unmigrated run at line ${line + 1}: "${a[line] ?? ''}", expected "${b[line] ?? ''}"`;
  }
  if (run.stop.reason !== fig.stop.reason || run.stop.code !== fig.stop.code)
    return `the guest stopped with ${run.stop.reason} status ${run.stop.code}, an unmigrated run with ${fig.stop.reason} status ${fig.stop.code}`;
  if (run.instructions !== fig.instructions)
    return `the guest ran ${run.instructions} instructions in all, an unmigrated run ${fig.instructions} (the count is part of the state)`;
  return null;
}

function ramProblem({ c, fig, run }: Seen): string | null {
  const want = hashesAt(c, fig.image, run.atInstructions);
  const page = want.findIndex((h, i) => h !== run.hashes[i]);
  if (page < 0) return null;
  const at = '0x' + (LAYOUT[c.arch].ramBase + page * 4096).toString(16);
  return (
    `at the hand-over (after ${run.atInstructions} instructions) page ${page} (gpa ${at}) differs: ` +
    `destination ${run.hashes[page]}, source ${want[page]}`
  );
}

/* Both loops' rounds, "sent/dirtied" each, to show where the pages went. */
function roundsText({ fig, run }: Seen): string {
  const mine = run.report.rounds?.map((r) => `${r.sent}/${r.dirtied}`).join(' ') ?? 'none reported';
  return ` (rounds as sent/dirtied: yours ${mine}; nestvm's ${fig.engine.rounds.join(' ')})`;
}

function sentProblem(s: Seen): string | null {
  const { fig, run } = s;
  const max = bound(fig.engine.totalSent, SENT_SLACK);
  if (run.sent <= max) return null;
  return `sent ${run.sent} pages in all; nestvm's pre-copy sends ${fig.engine.totalSent}, the bound is ${max}${roundsText(s)}`;
}

function stopProblem(s: Seen): string | null {
  const { fig, run } = s;
  const max = bound(fig.engine.stopAndCopy, STOP_SLACK);
  if (run.stopAndCopy <= max) return null;
  return `sent ${run.stopAndCopy} pages with the guest stopped; nestvm's pre-copy ${fig.engine.stopAndCopy}, the bound is ${max}${roundsText(s)}`;
}

function runawayProblem(s: Seen): string | null {
  const { c, run } = s;
  if (run.report.converged !== false)
    return `the loop never converges here, but precopy returned converged: ${String(run.report.converged)}`;
  const n = run.report.rounds?.length;
  if (n !== c.link.maxRounds)
    return `precopy reported ${String(n)} rounds; it should stop after maxRounds = ${c.link.maxRounds}`;
  return stopProblem(s) ?? consoleProblem(s) ?? ramProblem(s);
}

const check = (name: string, points: number, which: (c: GuestCase) => boolean, judge: Judge): Check => ({
  name,
  points,
  timeLimitMs: TIME_LIMIT_MS,
  run: overCases(which, judge),
});

export const precopyLab = defineLab<PrecopyParams>({
  id: 'precopy',
  title: 'Pre-copy live migration',
  topic: 'the dirty log, rounds over a slow link, stop-and-copy and the hand-over of vCPU and devices',
  home: packagePath('labs', 'precopy'),
  files: [FILE],
  params: precopyParams,
  paramsText: casesText,
  checks: [
    check('console-and-exit', 16, converging, consoleProblem),
    check('ram-at-handover', 16, converging, ramProblem),
    check('pages-sent', 8, converging, sentProblem),
    check('stop-and-copy', 8, converging, stopProblem),
    check('non-convergent', 12, (c) => c.role === 'runaway', runawayProblem),
  ],
});
