/*
 * The grader: runs every check of a lab on a submission folder and returns the grade as data.
 * The CLI (`nestvm lab grade`) prints it as text, JSON, Gradescope results.json or JUnit XML.
 *
 * Each check gets a context (lab-api.ts's CheckContext) whose `call` runs student JavaScript in a
 * child process under the check's limits (child-call.ts), and whose `rng` is seeded from the lab
 * seed and the check's name. The check's verdict is computed here, in the grader's process.
 *
 * Invariants:
 *  - every check yields exactly one result, in the lab's order; a check that throws (a grader bug,
 *    or a submission the check did not foresee) is a FAIL with the error's message, never a crash
 *    of the grader;
 *  - score = the sum of the points of the checks that passed; max = the lab's points;
 *  - the result holds no clock reading except each check's `ms` (shown by JUnit only), so the
 *    same submission and seed give the same grade.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  DEFAULT_MEMORY_MB,
  DEFAULT_TIME_LIMIT_MS,
  labPoints,
  type CheckContext,
  type CheckDefinition,
  type LabDefinition,
  type Verdict,
} from './lab-api.js';
import { runBatch } from './child-call.js';
import { rngFor } from './seeded-rng.js';

export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly score: number;
  readonly max: number;
  /** Why it failed (absent when it passed). */
  readonly reason?: string;
  /** Wall-clock milliseconds the check took. */
  readonly ms: number;
}

export interface Grade {
  readonly lab: string;
  readonly title: string;
  readonly seed: number;
  readonly score: number;
  readonly max: number;
  readonly checks: readonly CheckResult[];
}

export interface GradeOptions {
  readonly dir: string;
  readonly seed: number;
  /** Replaces every check's own time limit (tests use short ones). */
  readonly timeLimitMs?: number;
}

export async function gradeLab<P>(lab: LabDefinition<P>, opts: GradeOptions): Promise<Grade> {
  const dir = resolve(opts.dir);
  const params = lab.params(opts.seed);
  const checks: CheckResult[] = [];
  for (const check of lab.checks) {
    const started = Date.now();
    const verdict = await runCheck(check, contextFor(check, params, dir, opts));
    const ms = Date.now() - started;
    checks.push(
      verdict.ok
        ? { name: check.name, ok: true, score: check.points, max: check.points, ms }
        : { name: check.name, ok: false, score: 0, max: check.points, reason: verdict.reason, ms },
    );
  }
  const score = checks.reduce((s, c) => s + c.score, 0);
  return { lab: lab.id, title: lab.title, seed: opts.seed, score, max: labPoints(lab), checks };
}

async function runCheck<P>(check: CheckDefinition<P>, ctx: CheckContext<P>): Promise<Verdict> {
  try {
    return await check.run(ctx);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { ok: false, reason: `the check could not run: ${message.split('\n')[0]}` };
  }
}

function contextFor<P>(
  check: CheckDefinition<P>,
  params: P,
  dir: string,
  opts: GradeOptions,
): CheckContext<P> {
  const timeLimitMs = opts.timeLimitMs ?? check.timeLimitMs ?? DEFAULT_TIME_LIMIT_MS;
  const memoryMb = check.memoryMb ?? DEFAULT_MEMORY_MB;
  return {
    params,
    seed: opts.seed,
    dir,
    rng: rngFor(opts.seed, check.name),
    call: (file, exportName, argLists, callOpts) =>
      runBatch({
        module: join(dir, file),
        exportName,
        argLists,
        timeLimitMs,
        memoryMb,
        harness: callOpts?.harness,
      }),
    readText: (file) => {
      const path = join(dir, file);
      return existsSync(path) ? readFileSync(path, 'utf8') : null;
    },
  };
}
