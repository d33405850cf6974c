/*
 * Lab `reclaim`: the squeezed runs, all in the grader's process.
 *
 * Every guest runs at 2x overcommit under EPT and at 4x under nPT (the hook hides which format
 * holds the Accessed and Dirty bits). A run is one of:
 *
 *   plain     no squeeze: host memory for every page; its console is the one to match
 *   clock     nestvm's own clock (`--reclaim clock`), the yardstick for major faults
 *   fifo      nestvm's fifo, which a policy that uses Accessed must beat on the hot-set guest
 *   replay    the student's decisions, logged in the graded child (harness.mjs), played back:
 *             the same guest, options and seed give the same candidates in the same order, so
 *             each logged answer applies to the very eviction it was made for. A log that does
 *             not fit (another candidate count, another frame at the index, too short) is a
 *             replay problem, never a grade.
 *
 * What a run reports is read from this process's own Machine: the console, how it stopped, the
 * major faults (swap-ins), the write-backs of clean pages and the dirty pages dropped
 * (`reclaimer.overrides`), the swap store's writes. Results are cached per seed (and per log), so
 * the checks of one grade share them.
 */
import {
  Machine,
  loadGuestBytes,
  minGuestFrames,
  tableRoomFor,
  type FormatName,
  type GuestImage,
  type ReclaimHook,
} from '../../index.js';
import { GUEST_MEM, GUEST_NAMES, guestSource, type GuestName, type GuestParams } from './guests.js';

export const OVERCOMMITS = [2, 4] as const;
export type Overcommit = (typeof OVERCOMMITS)[number];
const FORMAT_AT: Record<Overcommit, FormatName> = { 2: 'ept', 4: 'npt' };
/* The plain run's bound (the guests need under 100,000); a squeezed run gets exactly its count. */
const MAX_INSNS = 1_000_000;
/** Instructions a squeezed run may go past the plain run's count (it needs none: the same guest). */
const INSN_MARGIN = 1_000;
const TIMEOUT_MS = 20_000;

/** One squeezed run as plain data (what the graded child gets, too). */
export interface Job {
  readonly name: GuestName;
  readonly over: Overcommit;
  readonly source: string;
  readonly memBytes: number;
  readonly hostBytes: number;
  readonly format: FormatName;
  readonly maxInsns: number;
  readonly timeoutMs: number;
}

export interface Run {
  readonly console: string;
  /** Instructions run (a squeezed run that is right runs exactly the plain run's). */
  readonly insns: number;
  /** 'halt' when the guest ended as it should, else how it stopped. */
  readonly stop: string;
  readonly major: number;
  readonly evictions: number;
  readonly cleanWriteBacks: number;
  readonly dirtyDrops: number;
  readonly storeWrites: number;
}

export const jobText = (j: Job): string => `${j.name} at ${j.over}x`;

/* Frames for guest pages at an overcommit; the seeds' sizes keep it above reclaim's least. */
function guestFrames(touched: number, over: Overcommit): number {
  const frames = Math.ceil(touched / over);
  if (frames < minGuestFrames('x86_64'))
    throw new Error(`reclaim lab: ${touched} pages at ${over}x leave reclaim too few frames`);
  return frames;
}

export function jobsFor(p: GuestParams): Job[] {
  return GUEST_NAMES.flatMap((name) => {
    const g = guestSource(name, p);
    return OVERCOMMITS.map((over) => ({
      name,
      over,
      source: g.source,
      memBytes: GUEST_MEM,
      hostBytes: tableRoomFor(GUEST_MEM) + guestFrames(g.touched, over) * 4096,
      format: FORMAT_AT[over],
      maxInsns: MAX_INSNS,
      timeoutMs: TIMEOUT_MS,
    }));
  });
}

const images = new Map<string, Promise<GuestImage>>();
function imageOf(job: Job): Promise<GuestImage> {
  if (!images.has(job.source)) {
    if (images.size >= 12) images.clear();
    const bytes = new TextEncoder().encode(job.source);
    images.set(job.source, loadGuestBytes(bytes, `${job.name}.s`, { memBytes: job.memBytes }));
  }
  return images.get(job.source)!;
}

type Policy = 'plain' | 'clock' | 'fifo' | { readonly hook: ReclaimHook };

async function runJob(job: Job, policy: Policy): Promise<Run> {
  const image = await imageOf(job);
  const squeeze =
    policy === 'plain'
      ? {}
      : typeof policy === 'string'
        ? { hostBytes: job.hostBytes, reclaim: policy }
        : { hostBytes: job.hostBytes, reclaimHook: policy.hook };
  const m = new Machine(image, {
    memBytes: job.memBytes,
    format: job.format,
    maxInsns: job.maxInsns,
    timeoutMs: job.timeoutMs,
    ...squeeze,
  });
  try {
    const stop = m.run();
    const rc = m.vm!.reclaimer;
    return {
      console: m.console,
      insns: m.instructions,
      stop: stop.reason === 'halt' ? 'halt' : `${stop.reason}${stop.message ? `: ${stop.message}` : ''}`,
      major: rc.counters.swapIns,
      evictions: rc.counters.evictions,
      cleanWriteBacks: rc.overrides.cleanWriteBacks,
      dirtyDrops: rc.overrides.dirtyDrops,
      storeWrites: rc.store.writes,
    };
  } finally {
    m.close();
  }
}

/** A log that does not fit the run it is played back on (see the essay). */
class ReplayError extends Error {}

/* The hook that plays a decision log back (the layout is in harness.mjs). */
function replayHook(log: readonly number[]): ReclaimHook {
  let at = 0;
  let call = 0;
  return (cands, ctl) => {
    call++;
    if (at + 5 > log.length) throw new ReplayError(`eviction ${call} is not in the log`);
    const [n, v, hfn, wb, k] = log.slice(at, at + 5);
    if (n !== cands.length || cands[v]?.hfn !== hfn || at + 5 + k > log.length)
      throw new ReplayError(`eviction ${call} does not match the log`);
    for (const i of log.slice(at + 5, at + 5 + k)) ctl.clearAccessed(i);
    at += 5 + k;
    return { victim: v, writeBack: wb === 1 };
  };
}

/**
 * The job as a squeezed run gets it: limited to the plain run's instructions (and a margin), so a
 * policy that lost a page of code stops soon, not after a long run through garbage.
 */
export const squeezedJob = (job: Job, plain: Run): Job => ({ ...job, maxInsns: plain.insns + INSN_MARGIN });

/** The student's run, played back from its log; a string when the log does not replay. */
export async function replay(job: Job, log: unknown): Promise<Run | string> {
  if (!Array.isArray(log) || !log.every((x) => Number.isSafeInteger(x)))
    return 'the harness sent no decision log';
  try {
    return await runJob(job, { hook: replayHook(log as number[]) });
  } catch (err) {
    const cause = err instanceof Error ? err.cause : undefined; // the engine's HookError wraps it
    if (cause instanceof ReplayError) return `the logged decisions do not replay: ${cause.message}`;
    throw err;
  }
}

/** nestvm's own runs of a job: the console to match, clock's and fifo's figures. */
export interface Yardstick {
  readonly plain: Run;
  readonly clock: Run;
  readonly fifo: Run;
}

const yardsticks = new Map<string, Promise<Yardstick>>();

export function yardstick(job: Job): Promise<Yardstick> {
  const key = `${job.over}\0${job.source}`;
  if (!yardsticks.has(key)) {
    if (yardsticks.size >= 24) yardsticks.clear();
    yardsticks.set(
      key,
      (async () => ({
        plain: await runJob(job, 'plain'),
        clock: await runJob(job, 'clock'),
        fifo: await runJob(job, 'fifo'),
      }))(),
    );
  }
  return yardsticks.get(key)!;
}
