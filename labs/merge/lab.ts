/*
 * Lab `merge`: same-page merging across VMs, written by the student on nestvm's merge kit
 * (mmu/vm/merge-kit.ts): the scan, the hash and the full compare, the remap with write withheld
 * and its PV entries, and the copy on write at the write fault.
 *
 * The grader runs three scenarios of the seed's guests (guest.ts) in one child, through the harness
 * (harness.mjs), which attaches the student's merger to a host run exactly where the built-in
 * scanner sits: two VMs and four VMs under the host's full hash, and two VMs with collision pages
 * under the 'sampled' hash. The runs of one grade are made once and shared by the checks. The
 * consoles to compare with are each guest's run alone, made here, in the grader's process.
 */
import { Machine, loadGuestBytes, packagePath } from '../../index.js';
import { batchFailure } from '../framework/case-check.js';
import {
  defineLab,
  fail,
  pass,
  type CheckContext,
  type CheckDefinition,
  type Verdict,
} from '../framework/lab-api.js';
import {
  GUEST_MEM,
  MAX_INSNS,
  guestSource,
  mergeParams,
  paramsText,
  type MergeParams,
  type Scenario,
} from './guest.js';

const FILE = 'merger.js';
const HARNESS = packagePath('labs', 'merge', 'harness.mjs');
type Ctx = CheckContext<MergeParams>;
type Check = CheckDefinition<MergeParams>;

/** The host run's merge options in every scenario: a pass every 20,000 instructions, 64 pages. */
export const INTERVAL = 20_000;
export const PASS_PAGES = 64;
/** The child's limit for the three runs together (the first check starts them; the rest share them). */
const TIME_LIMIT_MS = 60_000;

const SCENARIOS = {
  two: { vms: 2, hash: 'full', coll: false },
  four: { vms: 4, hash: 'full', coll: false },
  collide: { vms: 2, hash: 'sampled', coll: true },
} as const satisfies Record<string, Scenario>;
type ScenarioName = keyof typeof SCENARIOS;

/** What the harness reports of one scenario (harness.mjs). */
export interface RunReport {
  readonly error: string | null;
  readonly problem: string | null;
  readonly consoles: readonly string[];
  readonly stops: readonly { reason: string; message: string | null; code: number }[];
  readonly peakSaved: number;
  readonly peakShared: number;
  readonly pv: string | null;
  readonly merges: number;
  readonly cowBreaks: number;
  readonly hashes: number;
  readonly writeFaults: number;
}
type Runs = Record<ScenarioName, RunReport> | string;

const sources = (p: MergeParams, s: Scenario, seed: number) =>
  Array.from({ length: s.vms }, (_, vm) => guestSource(p, s, seed, vm));

/* Runs by submission and seed (the checks of one grade share them). */
const runs = new Map<string, Promise<Runs>>();
const alone = new Map<string, Promise<string>>();

function runsFor(ctx: Ctx): Promise<Runs> {
  const text = ctx.readText(FILE);
  if (text === null) return Promise.resolve(`${FILE} is missing`);
  const key = `${ctx.dir}\0${ctx.seed}\0${text}`;
  if (!runs.has(key)) {
    if (runs.size >= 4) runs.clear();
    runs.set(key, runAll(ctx));
  }
  return runs.get(key)!;
}

async function runAll(ctx: Ctx): Promise<Runs> {
  const names = Object.keys(SCENARIOS) as ScenarioName[];
  const jobs = names.map((n) => [
    {
      sources: sources(ctx.params, SCENARIOS[n], ctx.seed),
      hash: SCENARIOS[n].hash,
      interval: INTERVAL,
      pages: PASS_PAGES,
      memBytes: GUEST_MEM,
      maxInsns: MAX_INSNS,
    },
  ]);
  const outcome = await ctx.call(FILE, 'createMerger', jobs, { harness: HARNESS });
  if (outcome.kind !== 'done') return batchFailure(outcome)!;
  const out = {} as Record<ScenarioName, RunReport>;
  for (const [i, n] of names.entries()) {
    const o = outcome.outcomes[i];
    if (!o.ok) return o.error ?? 'the run failed';
    out[n] = o.value as RunReport;
  }
  return out;
}

/* The console of one guest run alone, without merging (the expected console). */
function consoleAlone(source: string): Promise<string> {
  if (!alone.has(source))
    alone.set(
      source,
      (async () => {
        const image = await loadGuestBytes(new TextEncoder().encode(source), 'alone.s', {
          arch: 'x86_64',
          memBytes: GUEST_MEM,
        });
        const m = new Machine(image, { memBytes: GUEST_MEM, maxInsns: MAX_INSNS });
        try {
          const stop = m.run();
          if (stop.reason !== 'halt') throw new Error(`the lab's guest stopped with ${stop.reason} alone`);
          return m.console;
        } finally {
          m.close();
        }
      })(),
    );
  return alone.get(source)!;
}

/* A check on one scenario's report: the run's own failure first, then the judge's. */
const onRun =
  (name: ScenarioName, judge: (r: RunReport, ctx: Ctx) => Promise<string | null> | string | null) =>
  async (ctx: Ctx): Promise<Verdict> => {
    const all = await runsFor(ctx);
    if (typeof all === 'string') return fail(all);
    const r = all[name];
    if (r.error !== null) return fail(r.error);
    const wrong = await judge(r, ctx);
    return wrong === null ? pass : fail(wrong);
  };

const savedCheck = (name: ScenarioName): Check => ({
  name: `frames-saved-${SCENARIOS[name].vms}`,
  points: 10,
  timeLimitMs: TIME_LIMIT_MS,
  run: onRun(name, (r, ctx) => {
    const n = SCENARIOS[name].vms;
    const want = (n - 1) * ctx.params.same;
    return r.peakSaved >= want
      ? null
      : `with ${n} VMs at most ${r.peakSaved} frames were saved at once; the ${ctx.params.same} pages that are the same in every VM save ${want}`;
  }),
});

/* Each console against the guest's run alone; then whether merging and breaking happened at all. */
async function consolesWrong(r: RunReport, ctx: Ctx, s: Scenario): Promise<string | null> {
  if (r.problem !== null) return r.problem;
  const src = sources(ctx.params, s, ctx.seed);
  for (let vm = 0; vm < s.vms; vm++) {
    const want = await consoleAlone(src[vm]);
    const stop = r.stops[vm];
    if (stop.reason !== 'halt')
      return `VM ${vm} stopped with ${stop.reason}: ${stop.message ?? `status ${stop.code}`}`;
    if (r.consoles[vm] !== want)
      return `VM ${vm} printed ${JSON.stringify(r.consoles[vm].trim())}, its run alone ${JSON.stringify(want.trim())}`;
  }
  if (r.merges === 0) return 'no page was merged, so the writes tested nothing';
  return null;
}

const consolesCheck = (name: ScenarioName): Check => ({
  name: `consoles-${SCENARIOS[name].vms}`,
  points: 10,
  timeLimitMs: TIME_LIMIT_MS,
  run: onRun(name, async (r, ctx) => {
    const wrong = await consolesWrong(r, ctx, SCENARIOS[name]);
    if (wrong !== null) return wrong;
    return r.writeFaults === 0 ? 'no write to a merged page came back as a write fault' : null;
  }),
});

export const mergeLab = defineLab<MergeParams>({
  id: 'merge',
  title: 'Same-page merging across VMs',
  topic: 'the scan, hash and full compare, remap without write, PV lists, copy on write',
  home: packagePath('labs', 'merge'),
  files: [FILE],
  params: mergeParams,
  paramsText,
  checks: [
    savedCheck('two'),
    savedCheck('four'),
    consolesCheck('two'),
    consolesCheck('four'),
    {
      name: 'full-compare',
      points: 10,
      timeLimitMs: TIME_LIMIT_MS,
      run: onRun('collide', async (r, ctx) => {
        if (r.hashes === 0) return 'your merger never called host.hash';
        const wrong = await consolesWrong(r, ctx, SCENARIOS.collide);
        if (wrong !== null) return `under the sampled hash: ${wrong}`;
        return r.peakSaved >= ctx.params.same
          ? null
          : `under the sampled hash at most ${r.peakSaved} frames were saved at once, expected ${ctx.params.same}`;
      }),
    },
    {
      name: 'pv-lists',
      points: 10,
      timeLimitMs: TIME_LIMIT_MS,
      run: async (ctx) => {
        const all = await runsFor(ctx);
        if (typeof all === 'string') return fail(all);
        for (const name of ['two', 'four'] as const) {
          const r = all[name];
          // what the sweeps found comes first: a wrong PV list often makes a later step throw
          const wrong = r.pv ?? r.error ?? (r.peakShared === 0 ? 'no frame was ever shared' : null);
          if (wrong !== null) return fail(`with ${SCENARIOS[name].vms} VMs: ${wrong}`);
        }
        return pass;
      },
    },
  ],
});
