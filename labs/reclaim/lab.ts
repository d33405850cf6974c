/*
 * Lab `reclaim`: a replacement policy for an overcommitted host, through nestvm's reclaim hook.
 *
 * The student writes policy.js: createPolicy() returns choose(candidates, ctl), which picks the
 * victim among the candidate frames (oldest first, each with its nested Accessed and Dirty state),
 * may clear Accessed bits as a clock's hand does, and says whether the victim's content must be
 * written back to the swap store. The grader runs three guests (guests.ts) at 2x and 4x overcommit
 * with that policy in the graded child, which sends back only the policy's decisions; it replays
 * them in its own process (squeeze.ts) and judges what its own Machines did:
 *
 *   correctness          every squeezed console equals the unsqueezed one, and the guest halts
 *   faults-<guest>       major faults at most FAULT_SHARE over nestvm's clock, at both squeezes
 *   beats-fifo           strictly fewer major faults than nestvm's fifo on hotscan, at both
 *   no-clean-writeback   no clean page written back (Dirty used): the reclaimer counts each one
 *
 * A check over runs that did not go as they should (the policy threw, the log did not replay, the
 * guest did not halt) fails with that run's problem, so every line of an unfinished policy says
 * what stopped it. The child's batch and the replays are done once per grade and shared.
 */
import { join } from 'node:path';
import { packagePath } from '../../index.js';
import { batchFailure } from '../framework/case-check.js';
import {
  defineLab,
  fail,
  pass,
  type CheckContext,
  type CheckDefinition,
  type Verdict,
} from '../framework/lab-api.js';
import { paramsText, reclaimParams, type GuestName, type GuestParams } from './guests.js';
import {
  jobText,
  jobsFor,
  replay,
  squeezedJob,
  yardstick,
  type Job,
  type Run,
  type Yardstick,
} from './squeeze.js';

const HOME = packagePath('labs', 'reclaim');
const HARNESS = join(HOME, 'harness.mjs');
const FILE = 'policy.js';
/** How many more major faults than nestvm's clock a policy may take (15%). */
export const FAULT_SHARE = 0.15;
const TIME_LIMIT_MS = 30_000;

type Ctx = CheckContext<GuestParams>;
type Check = CheckDefinition<GuestParams>;

interface Graded {
  readonly job: Job;
  readonly want: Yardstick;
  /** The replayed run, or what kept it from being one. */
  readonly run: Run | string;
}

const graded = new Map<string, Promise<Graded[] | string>>();

/* Every job's replayed run beside nestvm's own, for the submission last graded. */
function gradedRuns(ctx: Ctx): Promise<Graded[] | string> {
  const source = ctx.readText(FILE);
  if (source === null) return Promise.resolve(`${FILE} is missing`);
  const key = `${ctx.seed}\0${source}`;
  if (!graded.has(key)) {
    if (graded.size >= 4) graded.clear();
    graded.set(key, gradeRuns(ctx));
  }
  return graded.get(key)!;
}

async function gradeRuns(ctx: Ctx): Promise<Graded[] | string> {
  const jobs: Job[] = [];
  const wants: Yardstick[] = [];
  for (const job of jobsFor(ctx.params)) {
    const want = await yardstick(job);
    jobs.push(squeezedJob(job, want.plain));
    wants.push(want);
  }
  const outcome = await ctx.call(
    FILE,
    'createPolicy',
    jobs.map((j) => [j]),
    { harness: HARNESS },
  );
  if (outcome.kind !== 'done') return batchFailure(outcome)!;
  const out: Graded[] = [];
  for (const [i, job] of jobs.entries()) {
    const o = outcome.outcomes[i];
    const value = o.value as { log?: unknown; timedOut?: unknown } | undefined;
    const run = !o.ok
      ? `${o.error} (policy.js)`
      : value?.timedOut === true
        ? `the run did not end within ${job.timeoutMs / 1000} s: the policy is too slow`
        : await replay(job, value?.log);
    out.push({ job, want: wants[i], run });
  }
  return out;
}

const lost = (r: Run) =>
  r.dirtyDrops === 0 ? '' : ` (${r.dirtyDrops} dirty pages were dropped without a write-back)`;

/* What went wrong with one run, or null when it ran as the unsqueezed guest did. */
function runProblem(g: Graded): string | null {
  const r = g.run;
  if (typeof r === 'string') return `${jobText(g.job)}: ${r}`;
  if (r.stop.startsWith('limit'))
    return `${jobText(g.job)}: the guest ran past the ${g.want.plain.insns} instructions it takes unsqueezed without halting${lost(r)}`;
  if (r.stop !== 'halt') return `${jobText(g.job)}: the guest stopped with ${r.stop}${lost(r)}`;
  if (r.console !== g.want.plain.console)
    return `${jobText(g.job)}: the console is ${JSON.stringify(r.console)}, expected ${JSON.stringify(g.want.plain.console)}${lost(r)}`;
  return null;
}

/* A check over the runs of some guests: each must have run correctly, then pass `judge`. */
const overRuns =
  (guests: readonly GuestName[] | 'all', judge: (g: Graded, r: Run) => string | null) =>
  async (ctx: Ctx): Promise<Verdict> => {
    const all = await gradedRuns(ctx);
    if (typeof all === 'string') return fail(all);
    for (const g of all) {
      if (guests !== 'all' && !guests.includes(g.job.name)) continue;
      const p = runProblem(g) ?? judge(g, g.run as Run);
      if (p !== null) return fail(p);
    }
    return pass;
  };

export const faultLimit = (clock: number): number => Math.floor(clock * (1 + FAULT_SHARE));

const faultsCheck = (guest: GuestName, points: number): Check => ({
  name: `faults-${guest}`,
  points,
  timeLimitMs: TIME_LIMIT_MS,
  run: overRuns([guest], (g, r) => {
    const clock = g.want.clock.major;
    return r.major <= faultLimit(clock)
      ? null
      : `${jobText(g.job)}: ${r.major} major faults, more than ${faultLimit(clock)} (nestvm's clock takes ${clock}, and ${FAULT_SHARE * 100}% more is allowed)`;
  }),
});

export const reclaimLab = defineLab<GuestParams>({
  id: 'reclaim',
  title: 'A replacement policy under overcommit',
  topic: 'reclaim through the hook: nested Accessed for the victim, Dirty for the write-back',
  home: HOME,
  files: [FILE],
  params: reclaimParams,
  paramsText,
  checks: [
    { name: 'correctness', points: 15, timeLimitMs: TIME_LIMIT_MS, run: overRuns('all', () => null) },
    faultsCheck('hotscan', 10),
    faultsCheck('skewed', 8),
    faultsCheck('loop', 7),
    {
      name: 'beats-fifo',
      points: 10,
      timeLimitMs: TIME_LIMIT_MS,
      run: overRuns(['hotscan'], (g, r) =>
        r.major < g.want.fifo.major
          ? null
          : `${jobText(g.job)}: ${r.major} major faults, and nestvm's fifo takes ${g.want.fifo.major}: a policy that uses Accessed keeps the hot pages and takes fewer`,
      ),
    },
    {
      name: 'no-clean-writeback',
      points: 10,
      timeLimitMs: TIME_LIMIT_MS,
      run: overRuns('all', (g, r) =>
        r.cleanWriteBacks === 0
          ? null
          : `${jobText(g.job)}: ${r.cleanWriteBacks} clean pages written back to the swap store (their copy there was still true; ${r.storeWrites} writes in all)`,
      ),
    },
  ],
});
