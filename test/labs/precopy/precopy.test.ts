/*
 * Lab `precopy`: the reference loop gets full marks for more than one seed, the untouched
 * skeleton nothing (the stated share: 0 of 60), each planted mutant fails exactly the checks named
 * for its bug, the link enforces its bandwidth, the reference's rounds are nestvm's own pre-copy's
 * page for page (so the bounds are relative to what the reference does), and the seeded guests
 * play the roles the handout gives them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBatch } from '../../../labs/framework/child-call.js';
import { gradeLab, type Grade } from '../../../labs/framework/grader.js';
import { rngFor } from '../../../labs/framework/seeded-rng.js';
import { precopyParams } from '../../../labs/precopy/cases.js';
import { gradedFor, type StudentRun } from '../../../labs/precopy/figures.js';
import { precopyLab } from '../../../labs/precopy/lab.js';
import { fullChecks, setFullChecks } from '../../../mmu/checks.js';
import { folderWith, mutant, reference, skeleton, solutionText } from '../submission.js';

// NESTVM_CHECKS=full is off here, in the grader and in its child: its sweeps after every map would
// make each migration take seconds (the structure suites run them; see the migration tests).
const checks = fullChecks();
const env = process.env.NESTVM_CHECKS;
beforeAll(() => {
  setFullChecks(false);
  delete process.env.NESTVM_CHECKS;
});
afterAll(() => {
  setFullChecks(checks);
  if (env !== undefined) process.env.NESTVM_CHECKS = env;
});

const SEED = 20261203;
const grade = (dir: string, seed = SEED): Promise<Grade> =>
  gradeLab(precopyLab, { dir, seed, timeLimitMs: 20_000 });
const failed = (g: Grade) => g.checks.filter((c) => !c.ok).map((c) => c.name);
const loopMutant = (from: string, to: string) => mutant(precopyLab, 'precopy.js', from, to);

// Each grade migrates four guests in a child and runs each twice more in the grader.
describe('lab precopy', { timeout: 120_000 }, () => {
  it('the reference loop gets full marks, for more than one seed', async () => {
    for (const seed of [SEED, 7]) {
      const g = await grade(reference(precopyLab, seed), seed);
      expect(failed(g)).toEqual([]);
      expect(g.score).toBe(60);
    }
  });

  it('the untouched skeleton gets 0, with the TODO and the guest on every line', async () => {
    const g = await grade(skeleton(precopyLab, SEED));
    expect(g.score).toBe(0);
    for (const c of g.checks) expect(c.reason).toMatch(/^TODO: precopy is not written yet \(precopy, \w+ \(/);
  });

  const MUTANTS = [
    {
      bug: 'a page is sent once only: dirtied pages never go again',
      dir: () =>
        loopMutant(
          'function sendRound(src, link, queue, opts, buf) {',
          'function sendRound(src, link, all, opts, buf) {\n  const once = (src.once ??= new Set());\n' +
            '  const queue = all.filter((p) => !once.has(p) && once.add(p));',
        ),
      fails: ['console-and-exit', 'ram-at-handover', 'non-convergent'],
    },
    {
      bug: 'the dirty log is not emptied before round 0',
      dir: () => loopMutant('  src.harvestDirty(); // what', '  // what'),
      fails: ['pages-sent'],
    },
    {
      bug: "the hand-over leaves the devices' registers behind",
      dir: () =>
        loopMutant(
          'link.handOver(src.guestState());',
          'link.handOver({ ...src.guestState(), devices: [] });',
        ),
      fails: ['console-and-exit'],
    },
    {
      bug: 'the stop condition ignores maxRounds',
      dir: () => loopMutant('round < opts.maxRounds;', ';'),
      fails: ['non-convergent'],
    },
    {
      bug: 'no pre-copy at all: every page goes in the stop-and-copy',
      dir: () => loopMutant('round < opts.maxRounds;', 'round < 0;'),
      fails: ['stop-and-copy', 'non-convergent'],
    },
  ];
  for (const m of MUTANTS)
    it(`mutant "${m.bug}" fails ${m.fails.join(', ')}`, async () => {
      const g = await grade(m.dir());
      expect(failed(g)).toEqual(m.fails);
      if (m.fails[0] === 'non-convergent' && m.fails.length === 1)
        expect(g.checks[4].reason).toMatch(
          /stopped by the grader: the pre-copy ran \d+ slices without a hand-over/,
        );
    });

  it('the link refuses more pages than its bandwidth carries while the guest runs', async () => {
    const text = solutionText('precopy', 'precopy.js').replace(
      'const upTo = Math.min(queue.length, next + opts.bandwidth)',
      'const upTo = queue.length',
    );
    const g = await grade(folderWith({ 'precopy.js': text }));
    expect(g.score).toBe(0);
    expect(g.checks[0].reason).toMatch(
      /^link\.send: the link carries 32 pages per slice, and 32 went in 0 slices/,
    );
  });

  it("the reference's link figures are nestvm's own pre-copy's, page for page", async () => {
    const dir = reference(precopyLab, SEED);
    const graded = await gradedFor({
      params: precopyParams(SEED),
      seed: SEED,
      dir,
      rng: rngFor(SEED, 'figures'),
      readText: (f) => readFileSync(join(dir, f), 'utf8'),
      call: (file, exportName, argLists, opts) =>
        runBatch({
          module: join(dir, file),
          exportName,
          argLists,
          timeLimitMs: 20_000,
          memoryMb: 256,
          harness: opts?.harness,
        }),
    })!;
    expect(graded.batch.kind).toBe('done');
    if (graded.batch.kind !== 'done') return;
    graded.batch.outcomes.forEach((o, i) => {
      const run = o.value as StudentRun;
      const fig = graded.figures[i];
      expect(run.sent).toBe(fig.engine.totalSent);
      expect(run.stopAndCopy).toBe(fig.engine.stopAndCopy);
      expect(run.report.rounds!.map((r) => `${r.sent}/${r.dirtied}`)).toEqual(fig.engine.rounds);
    });
    expect(graded.figures[1].engine.rounds.length).toBeGreaterThan(2); // trickle: the set shrinks over rounds
  });

  it('the seeded guests play their roles: three converge, the runaway never does', () => {
    for (const seed of [0, SEED, 99]) {
      const roles = precopyParams(seed).cases.map((c) => c.role);
      expect(roles).toEqual(['steady', 'trickle', 'device', 'runaway']);
      const [steady, trickle, device, runaway] = precopyParams(seed).cases;
      expect(steady.writer.hotPages).toBeLessThan(steady.link.downtimePages);
      expect(trickle.link.bandwidth).toBeLessThan(steady.link.bandwidth);
      expect(device.writer.dma && device.source.dirtyLog === 'ring').toBe(true);
      expect(runaway.writer.hotPages).toBeGreaterThan(2 * runaway.link.downtimePages);
    }
    expect(precopyParams(5)).toEqual(precopyParams(5));
  });
});
