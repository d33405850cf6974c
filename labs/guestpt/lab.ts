/*
 * Lab `guestpt`: a guest in assembly builds its own x86-64 page tables for five seeded
 * gva -> gpa pairs with given rights, turns paging on and touches every page.
 *
 * The grader assembles guestpt.s, runs it under every nested format (EPT, nPT, stage-2), and
 * checks with nestvm's walker (guest-run.ts) that each pair translates, with exactly its rights,
 * that each was touched (Accessed, and Dirty when writable), and that no other page is writable.
 * The run of a source under a format is done once per grade and shared by the checks.
 */
import { FORMAT_NAMES, packagePath, type FormatName } from '../../index.js';
import {
  defineLab,
  fail,
  pass,
  type CheckContext,
  type CheckDefinition,
  type Verdict,
} from '../framework/lab-api.js';
import { PROBE, runGuest, type FormatRun, type PairReport } from './guest-run.js';
import {
  FLAG_U,
  FLAG_W,
  FLAG_X,
  guestptParams,
  pairsBlock,
  pairsText,
  type GuestptParams,
  type Pair,
} from './pairs.js';

const FILE = 'guestpt.s';
type Ctx = CheckContext<GuestptParams>;
type Check = CheckDefinition<GuestptParams>;

const hex = (n: number) => '0x' + n.toString(16);

/* Runs by format for the source last graded (the checks of one grade share them). */
const runs = new Map<string, Promise<FormatRun>>();

function runFor(ctx: Ctx, format: FormatName): Promise<FormatRun> | string {
  const source = ctx.readText(FILE);
  if (source === null) return `${FILE} is missing`;
  const key = `${format}\0${ctx.seed}\0${source}`;
  if (!runs.has(key)) {
    if (runs.size >= 6) runs.clear();
    runs.set(key, runGuest(source, format, ctx.params.pairs));
  }
  return runs.get(key)!;
}

/* A check over every format's run: the first problem found, named with its format. */
const overFormats =
  (
    judge: (pair: Pair, r: PairReport) => string | null,
    judgeRun?: (run: FormatRun & { ok: true }) => string | null,
  ) =>
  async (ctx: Ctx): Promise<Verdict> => {
    for (const format of FORMAT_NAMES) {
      const run = await runFor(ctx, format);
      if (typeof run === 'string') return fail(run);
      if (!run.ok) return fail(`under ${format}: ${run.problem}`);
      if (judgeRun !== undefined) {
        const p = judgeRun(run);
        if (p !== null) return fail(`under ${format}: ${p}`);
      }
      for (const [i, pair] of ctx.params.pairs.entries()) {
        const p = judge(pair, run.pairs[i]);
        if (p !== null) return fail(`under ${format}: gva ${hex(pair.gva)}: ${p}`);
      }
    }
    return pass;
  };

const runsCheck = (format: FormatName): Check => ({
  name: `runs-${format}`,
  points: 4,
  run: async (ctx) => {
    const run = await runFor(ctx, format);
    if (typeof run === 'string') return fail(run);
    return run.ok ? pass : fail(run.problem);
  },
});

const allowedText = (what: string, want: boolean) =>
  `${what} is ${want ? 'refused' : 'allowed'}, should be ${want ? 'allowed' : 'refused'}`;

function writableProblem(run: FormatRun & { ok: true }, pairs: readonly Pair[]): string | null {
  if (run.writable === null) return 'the page tables map more than 200,000 entries';
  const mine = new Set(pairs.filter((p) => p.flags & FLAG_W).map((p) => p.gva));
  for (const leaf of run.writable) {
    if (leaf.size > 4096) return `a ${leaf.size / 1024} KiB page at gva ${hex(leaf.gva)} is writable`;
    if (!mine.has(leaf.gva)) return `gva ${hex(leaf.gva)} is writable, and is not one of your writable pages`;
  }
  return null;
}

export const guestptLab = defineLab<GuestptParams>({
  id: 'guestpt',
  title: 'A guest builds its own page tables',
  topic: 'x86-64 4-level tables in assembly: mappings, rights, paging on, A/D',
  home: packagePath('labs', 'guestpt'),
  files: [FILE],
  params: guestptParams,
  paramsText: pairsText,
  renderFile: (_file, text, params, seed) => `${text.trimEnd()}\n\n${pairsBlock(params, seed)}`,
  checks: [
    {
      name: 'assembles',
      points: 2,
      run: async (ctx) => {
        const run = await runFor(ctx, 'ept');
        if (typeof run === 'string') return fail(run);
        return !run.ok && run.stage === 'load' ? fail(run.problem) : pass;
      },
    },
    runsCheck('ept'),
    runsCheck('npt'),
    runsCheck('s2'),
    {
      name: 'mappings',
      points: 18,
      run: overFormats((pair, r) =>
        r.read === pair.gpa + PROBE
          ? null
          : `a read of ${hex(pair.gva + PROBE)} gives ${typeof r.read === 'number' ? 'gpa ' + hex(r.read) : r.read}, expected gpa ${hex(pair.gpa + PROBE)}`,
      ),
    },
    {
      name: 'rights',
      points: 14,
      run: overFormats((pair, r) => {
        if (r.write !== ((pair.flags & FLAG_W) !== 0)) return allowedText('a supervisor write', !r.write);
        if (r.exec !== ((pair.flags & FLAG_X) !== 0)) return allowedText('a fetch', !r.exec);
        if (r.user !== ((pair.flags & FLAG_U) !== 0)) return allowedText('a user read', !r.user);
        return null;
      }),
    },
    {
      name: 'touched',
      points: 6,
      run: overFormats((pair, r) => {
        if (!r.accessed) return 'its leaf entry has Accessed clear: the guest never read the page';
        if (pair.flags & FLAG_W && !r.dirty)
          return 'its leaf entry has Dirty clear: the guest never wrote the page';
        return null;
      }),
    },
    {
      name: 'only-yours-writable',
      points: 8,
      run: (ctx) =>
        overFormats(
          () => null,
          (run) => writableProblem(run, ctx.params.pairs),
        )(ctx),
    },
  ],
});
