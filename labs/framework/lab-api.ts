/*
 * The lab-definition API: what a coursework lab is, as data and a few functions, so that the
 * framework (grader, `nestvm lab`) knows nothing about any one lab and a new lab is one folder.
 *
 *   labs/<id>/lab.ts       the definition (below): id, title, topic, the files `lab start` copies,
 *                          the seeded per-student parameters, the checks
 *   labs/<id>/README.md    the handout (background, task, hints, how it is graded)
 *   labs/<id>/skeleton/    the files the student edits, with TODOs
 *
 * A check runs in the grader's process and decides its verdict there. Student JavaScript never
 * runs in that process: a check hands a list of calls to `ctx.call`, which runs them in a child
 * process under the check's time and memory limits and brings back each call's outcome (a value
 * or the message of what it threw). The check then compares those outcomes with what nestvm's
 * own code computes. So what the student's code prints, or any value it returns, can only be
 * judged, never taken for a verdict.
 *
 * Invariants:
 *  - `params(seed)` is a pure function of the seed: the handout `lab start` writes and the checks
 *    `lab grade` runs see the same parameters for the same seed;
 *  - a check is deterministic for a given submission and seed (its random cases come from
 *    `ctx.rng`, seeded from the lab seed and the check's name);
 *  - the points of a lab are the sum of its checks' points; a check scores all or nothing.
 */

/** One call of an exported student function, and its outcome. */
export interface CallOutcome {
  /** The call returned: its value, passed through structured clone (plain data only). */
  readonly ok: boolean;
  readonly value?: unknown;
  /** What it threw: the message (or the thrown value as text). */
  readonly error?: string;
}

/** The outcome of a batch of calls in one child process. */
export type BatchOutcome =
  | { readonly kind: 'done'; readonly outcomes: readonly CallOutcome[] }
  /** The module could not be loaded, or the export is missing or not a function. */
  | { readonly kind: 'load-error'; readonly message: string }
  | { readonly kind: 'timeout'; readonly limitMs: number }
  /** The child died: out of memory, process.exit, a signal. */
  | { readonly kind: 'crashed'; readonly message: string };

export type Verdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export const pass: Verdict = { ok: true };
export const fail = (reason: string): Verdict => ({ ok: false, reason });

/** A small deterministic random source (seeded; same seed, same sequence). */
export interface Rng {
  /** An integer in [0, n). */
  int(n: number): number;
  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number;
  /** One element of a non-empty list. */
  pick<T>(list: readonly T[]): T;
  /** A fraction in [0, 1). */
  next(): number;
}

export interface CallOptions {
  /**
   * Absolute path of a module shipped with the lab that runs in the child around each call:
   * `prepare(...args)` returns the arguments the student's function takes, built from the plain
   * data sent (read-only accessors); or `run(fn, ...args)` makes the call itself and returns
   * plain data about it (a lab that hands the student live Machines and measures what they did).
   */
  readonly harness?: string;
}

export interface CheckContext<P> {
  /** The lab's parameters for this seed. */
  readonly params: P;
  readonly seed: number;
  /** The submission folder. */
  readonly dir: string;
  /** Random cases for this check (seeded from the lab seed and the check's name). */
  readonly rng: Rng;
  /**
   * Run `exportName` from the student's `file` once per argument list, in one child process
   * under this check's limits.
   */
  call(
    file: string,
    exportName: string,
    argLists: readonly (readonly unknown[])[],
    opts?: CallOptions,
  ): Promise<BatchOutcome>;
  /** Read a file of the submission as text (null when it is missing). */
  readText(file: string): string | null;
}

export interface CheckDefinition<P> {
  /** Short, stable name (it is the Gradescope test name and the JUnit test case). */
  readonly name: string;
  readonly points: number;
  /** Time limit of the check's child process (default DEFAULT_TIME_LIMIT_MS). */
  readonly timeLimitMs?: number;
  /** Memory limit of the child's JavaScript heap (default DEFAULT_MEMORY_MB). */
  readonly memoryMb?: number;
  run(ctx: CheckContext<P>): Promise<Verdict> | Verdict;
}

export interface LabDefinition<P = unknown> {
  readonly id: string;
  readonly title: string;
  readonly topic: string;
  /** The folder with README.md and skeleton/ (an absolute path; labs pass their own). */
  readonly home: string;
  /** Skeleton files (relative to home/skeleton), copied by `lab start`. */
  readonly files: readonly string[];
  /** Per-student parameters, a pure function of the seed. */
  params(seed: number): P;
  /** Markdown appended to the handout for this seed (the student's own parameters), if any. */
  paramsText?(params: P): string;
  /** A skeleton file as `lab start` writes it for this seed (default: as it is in skeleton/). */
  renderFile?(file: string, text: string, params: P, seed: number): string;
  readonly checks: readonly CheckDefinition<P>[];
}

export const DEFAULT_TIME_LIMIT_MS = 10_000;
export const DEFAULT_MEMORY_MB = 256;

export const labPoints = (lab: LabDefinition): number => lab.checks.reduce((s, c) => s + c.points, 0);

/** Defines a lab, checking what a typo would break: unique check names, positive points. */
export function defineLab<P>(lab: LabDefinition<P>): LabDefinition<P> {
  const names = new Set<string>();
  for (const c of lab.checks) {
    if (names.has(c.name)) throw new Error(`lab ${lab.id}: two checks are named ${c.name}`);
    if (!(Number.isInteger(c.points) && c.points > 0))
      throw new Error(`lab ${lab.id}: check ${c.name} needs a positive whole number of points`);
    names.add(c.name);
  }
  return lab;
}
