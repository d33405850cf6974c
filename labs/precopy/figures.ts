/*
 * Lab `precopy`: what the grader knows of each case by its own runs, and the student's runs, once
 * per grade (the checks of one grade share them, as guestpt's share its runs).
 *
 *   reference   an unmigrated run of the guest with the source's options: its console, how it
 *               stopped, and its instruction count
 *   engine      nestvm's own pre-copy (emulator/migration, what `nestvm migrate` runs) with the
 *               case's link: its rounds, pages sent and stop-and-copy, the bounds' base
 *   at(n)       the guest's RAM after exactly n instructions, a hash per page: the source's RAM
 *               at the student's hand-over, computed here, not taken from the child
 *
 * The student's loop runs in the child through harness.mjs, one call per case, all four in one
 * batch. Invariant: every figure is computed in the grader's process; from the child only what the
 * link measured and what the destination did come back, and each is judged against these.
 */
import { join } from 'node:path';
import {
  LAYOUT,
  Machine,
  Migration,
  PAGE_SIZE,
  gpa,
  loadGuest,
  packagePath,
  pageHash,
  readGuestPage,
  type GuestImage,
  type MachineOptions,
  type StopReason,
} from '../../index.js';
import type { BatchOutcome, CheckContext } from '../framework/lab-api.js';
import {
  MEM_BYTES,
  patchWriter,
  writerPath,
  type GuestCase,
  type MachineSide,
  type PrecopyParams,
} from './cases.js';

export const FILE = 'precopy.js';
const HARNESS = join(packagePath('labs', 'precopy'), 'harness.mjs');

export interface CaseFigures {
  readonly image: GuestImage;
  readonly console: string;
  readonly stop: { readonly reason: string; readonly code: number };
  readonly instructions: number;
  readonly engine: {
    readonly totalSent: number;
    readonly stopAndCopy: number;
    /** Each round as "sent/dirtied", for messages. */
    readonly rounds: readonly string[];
  };
}

/** What the harness brings back for one case (see harness.mjs). */
export interface StudentRun {
  readonly report: {
    readonly converged: boolean | null;
    readonly rounds: readonly { sent: number; dirtied: number }[] | null;
  };
  readonly sent: number;
  readonly stopAndCopy: number;
  readonly atInstructions: number;
  readonly hashes: readonly string[];
  readonly console: string;
  readonly stop: { readonly reason: string; readonly code: number };
  readonly instructions: number;
}

export interface Graded {
  readonly figures: readonly CaseFigures[];
  readonly batch: BatchOutcome;
}

export const machineOptions = (side: MachineSide, sliceInsns: number): MachineOptions => ({
  memBytes: MEM_BYTES,
  format: side.format,
  seed: side.seed,
  dirtyLog: side.dirtyLog ?? 'bitmap',
  sliceInsns,
});

const stopOf = (s: StopReason) => ({ reason: s.reason, code: s.code });

async function caseFigures(c: GuestCase): Promise<CaseFigures> {
  const image = patchWriter(await loadGuest(writerPath(c.arch), { memBytes: MEM_BYTES }), c.writer);
  const source = machineOptions(c.source, c.link.sliceInsns);
  const ref = new Machine(image, source);
  const stop = ref.run();
  const plain = { console: ref.console, stop: stopOf(stop), instructions: ref.instructions };
  ref.close();
  const m = new Migration({
    image,
    source,
    destination: machineOptions(c.destination, c.link.sliceInsns),
    startAfter: c.startAfter,
    ...c.link,
  });
  try {
    if (m.warmUp() !== null) throw new Error(`the ${c.role} guest ended in its warm-up`);
    const end = m.precopy.run();
    if (end.kind === 'source-stopped')
      throw new Error(`the ${c.role} guest ended before the engine's hand-over`);
    const rounds = m.precopy.rounds;
    const totalSent = rounds.reduce((n, r) => n + r.sent, 0) + end.remaining.length;
    return {
      image,
      ...plain,
      engine: {
        totalSent,
        stopAndCopy: end.remaining.length,
        rounds: rounds.map((r) => `${r.sent}/${r.dirtied}`),
      },
    };
  } finally {
    m.close();
  }
}

/** The guest's RAM after exactly `insns` instructions: a hash per page (a page never written hashes as zeros). */
export function hashesAt(c: GuestCase, image: GuestImage, insns: number): string[] {
  const m = new Machine(image, machineOptions(c.source, c.link.sliceInsns));
  try {
    for (let left = insns - m.instructions; left > 0; left = insns - m.instructions)
      if (m.runSlice(Math.min(left, c.link.sliceInsns)) !== null) break;
    const buf = new Uint8Array(PAGE_SIZE);
    const base = LAYOUT[c.arch].ramBase;
    const out: string[] = [];
    for (let i = 0; i < MEM_BYTES / PAGE_SIZE; i++) {
      readGuestPage(m.vm!, gpa(base + i * PAGE_SIZE), buf);
      out.push(pageHash(buf));
    }
    return out;
  } finally {
    m.close();
  }
}

const figuresBySeed = new Map<number, Promise<CaseFigures[]>>();
const gradedBy = new Map<string, Promise<Graded>>();

function figuresFor(seed: number, params: PrecopyParams): Promise<CaseFigures[]> {
  if (!figuresBySeed.has(seed)) {
    if (figuresBySeed.size >= 4) figuresBySeed.clear();
    figuresBySeed.set(seed, Promise.all(params.cases.map(caseFigures)));
  }
  return figuresBySeed.get(seed)!;
}

/** The grader's figures and the student's runs for this submission and seed (null: no precopy.js). */
export function gradedFor(ctx: CheckContext<PrecopyParams>): Promise<Graded> | null {
  const source = ctx.readText(FILE);
  if (source === null) return null;
  const key = `${ctx.seed}\0${ctx.dir}\0${source}`;
  if (!gradedBy.has(key)) {
    if (gradedBy.size >= 4) gradedBy.clear();
    gradedBy.set(
      key,
      figuresFor(ctx.seed, ctx.params).then(async (figures) => {
        const args = ctx.params.cases.map((c, i) => [
          figures[i].image,
          c,
          { memBytes: MEM_BYTES, maxInsns: 2 * figures[i].instructions },
        ]);
        return { figures, batch: await ctx.call(FILE, 'precopy', args, { harness: HARNESS }) };
      }),
    );
  }
  return gradedBy.get(key)!;
}
