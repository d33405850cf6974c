/*
 * Timing a whole child process: wall-clock time from spawn to exit and the child's CPU time (user +
 * system, all its threads), both taken by bash's `time` keyword with millisecond resolution, so
 * the bash that runs the child is not part of either figure. Without bash, only wall time is kept,
 * taken around spawnSync.
 *
 * Start-up figures are wall time, but the development machine is shared: wall time there mostly
 * measures the neighbours, while CPU time is what the process itself did. So both are kept, and
 * `summarise` reports the median and the minimum of each over N runs (the minimum is the least
 * disturbed run; the median is the typical one).
 *
 * Invariant: a sample is recorded only for a run that exited with the status the caller expects;
 * anything else throws with the child's stderr, so a broken command never passes as a fast one.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BASH = '/bin/bash';
/* `time` writes "real user sys" in seconds to fd 2 of the group; the child's own stderr goes to $2. */
const TIMED =
  'TIMEFORMAT="%3R %3U %3S"; out=$1; err=$2; shift 2; { time "$@" >/dev/null 2>"$err"; } 2>"$out"';

export interface Sample {
  readonly wallMs: number;
  /** User + system CPU time of the child, or null without bash. */
  readonly cpuMs: number | null;
}

export interface Summary {
  readonly runs: number;
  readonly medianWall: number;
  readonly minWall: number;
  readonly medianCpu: number | null;
  readonly minCpu: number | null;
}

export interface ChildCommand {
  readonly file: string;
  readonly args: readonly string[];
  readonly cwd: string;
  /** The exit status a good run ends with. */
  readonly status: number;
  /** Kill the child after this many milliseconds (a run that hangs fails the benchmark). */
  readonly timeoutMs: number;
  /** Variables added to the environment. */
  readonly env?: Readonly<Record<string, string>>;
}

export const hasBashTime = (): boolean => existsSync(BASH);

const scratch = mkdtempSync(join(tmpdir(), 'nestvm-startup-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

/** Run `cmd` once and time it. */
export function timeChild(cmd: ChildCommand): Sample {
  const timed = hasBashTime();
  const out = join(scratch, 'time.txt');
  const err = join(scratch, 'stderr.txt');
  const file = timed ? BASH : cmd.file;
  const args = timed ? ['-c', TIMED, 'bash', out, err, cmd.file, ...cmd.args] : [...cmd.args];
  const t0 = performance.now();
  const env = { ...process.env, ...cmd.env };
  const r = spawnSync(file, args, { cwd: cmd.cwd, encoding: 'utf8', timeout: cmd.timeoutMs, env });
  const spawnMs = performance.now() - t0;
  if (r.error !== undefined || r.status !== cmd.status) {
    const why = r.error?.message ?? `exit status ${r.status} (expected ${cmd.status})`;
    const stderr = timed && existsSync(err) ? readFileSync(err, 'utf8') : (r.stderr ?? '');
    throw new Error(`${cmd.file} ${cmd.args.join(' ')}: ${why}\n${stderr}`);
  }
  return timed ? readTimes(out) : { wallMs: spawnMs, cpuMs: null };
}

function readTimes(path: string): Sample {
  const last = readFileSync(path, 'utf8').trim().split('\n').pop() ?? '';
  const [real, user, sys] = last.split(/\s+/).map(Number);
  if (![real, user, sys].every(Number.isFinite)) throw new Error(`unreadable time output: ${last}`);
  return { wallMs: real * 1000, cpuMs: (user + sys) * 1000 };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >>> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function summarise(samples: readonly Sample[]): Summary {
  if (samples.length === 0) throw new Error('summarise: no samples');
  const walls = samples.map((s) => s.wallMs);
  const cpus = samples.map((s) => s.cpuMs).filter((c): c is number => c !== null);
  return {
    runs: samples.length,
    medianWall: median(walls),
    minWall: Math.min(...walls),
    medianCpu: cpus.length === samples.length ? median(cpus) : null,
    minCpu: cpus.length === samples.length ? Math.min(...cpus) : null,
  };
}
