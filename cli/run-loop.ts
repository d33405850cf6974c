/*
 * `run`'s loop over the Machine's slices, with what only a command line needs between them:
 *
 *   - Ctrl-C. The guest runs in slices, and the loop gives the event loop a turn after each one,
 *     so a SIGINT handler runs between two slices. It asks the loop to stop; the loop ends with
 *     the stop reason 'interrupted' (status 130, as a shell reports SIGINT), and the command still
 *     prints its summary. A second Ctrl-C is the default one: the process ends at once.
 *   - The live status line. Once the run has lasted STATUS_AFTER_MS, a one-line status
 *     (instructions, MIPS, nested faults, resident pages) is drawn on stderr every
 *     STATUS_EVERY_MS, and cleared before the summary is printed. Only when stderr is a terminal
 *     and the command prints no JSON; the caller decides that (statusLineWanted).
 *
 * Only the clock decides when the status is drawn; the slices, and so the instruction counts and
 * the events, are the same as Machine.run's, except where the caller asks for a pause at a count
 * (a snapshot): the slice before it is cut to end there, which changes no count (slice sizes never do).
 */
import { DEFAULT_SLICE_INSNS, type Machine } from '../emulator/machine.js';
import type { StopReason } from '../emulator/stop-reason.js';
import { PC_REG } from '../emulator/unicorn/registers.js';
import type { Output } from './context.js';

export const STATUS_AFTER_MS = 2000;
export const STATUS_EVERY_MS = 250;
export const EXIT_INTERRUPTED = 130;

/** How a `run` ended: the guest's own stop, or the user's Ctrl-C. */
export type RunEnd = StopReason | InterruptedStop;

export interface InterruptedStop {
  readonly reason: 'interrupted';
  readonly code: number;
  readonly message: string;
  readonly pc: number;
  readonly pc64: bigint;
}

/** What the status line shows. */
export interface StatusFigures {
  readonly instructions: number;
  readonly ms: number;
  readonly faults: number;
  readonly residentPages: number;
}

const n = (v: number): string => v.toLocaleString('en-US');

/** The status line's text, without terminal control. */
export function statusText(f: StatusFigures): string {
  const mips = f.ms > 0 ? f.instructions / f.ms / 1000 : 0;
  return (
    `nestvm: running ${(f.ms / 1000).toFixed(1)} s, ${n(f.instructions)} instructions ` +
    `(${mips.toFixed(1)} MIPS), ${n(f.faults)} nested faults, ${n(f.residentPages)} pages resident`
  );
}

/** A terminal stream that can take a status line. */
export interface StatusStream extends Output {
  readonly isTTY?: boolean;
}

/** The live status goes to stderr only when it is a terminal and no JSON is printed. */
export function statusLineWanted(stderr: StatusStream, json: boolean): boolean {
  return !json && stderr.isTTY === true;
}

/** Draws and clears the one status line (carriage return and erase-line). */
export class StatusLine {
  private shown = false;
  constructor(private readonly out: Output) {}
  draw(text: string): void {
    this.out.write(`\r\x1b[2K${text}`);
    this.shown = true;
  }
  clear(): void {
    if (this.shown) this.out.write('\r\x1b[2K');
    this.shown = false;
  }
}

export interface RunLoopOptions {
  /** Where the status line goes; null for none. */
  readonly status: StatusLine | null;
  /** Set by the SIGINT handler; checked between slices. */
  readonly interrupted: () => boolean;
  readonly now?: () => number;
  /** Counts, ascending, at which to act between slices (a snapshot): the slices end exactly there. */
  readonly pauses?: readonly { readonly at: number; readonly action: () => void }[];
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Run slices until the guest stops or the user interrupts. */
export async function runSlices(machine: Machine, o: RunLoopOptions): Promise<RunEnd> {
  const now = o.now ?? (() => performance.now());
  const began = now();
  let drawn = began + STATUS_AFTER_MS - STATUS_EVERY_MS;
  const pauses = [...(o.pauses ?? [])];
  try {
    for (;;) {
      while (pauses.length > 0 && pauses[0].at === machine.instructions) pauses.shift()!.action();
      const stop = machine.runSlice(pauses.length > 0 ? budgetTo(machine, pauses[0].at) : undefined);
      if (stop !== null) return stop;
      await turn();
      if (o.interrupted()) return interruptedStop(machine);
      const t = now();
      if (o.status !== null && t - drawn >= STATUS_EVERY_MS) {
        drawn = t;
        o.status.draw(statusText(figures(machine, t - began)));
      }
    }
  } finally {
    o.status?.clear();
  }
}

/* A slice that ends at `at` at the latest (the Machine's own slice size otherwise). */
const budgetTo = (machine: Machine, at: number): number =>
  Math.min(DEFAULT_SLICE_INSNS, at - machine.instructions);

function figures(machine: Machine, ms: number): StatusFigures {
  const s = machine.stats();
  return {
    instructions: machine.instructions,
    ms,
    faults: s?.faults.total ?? 0,
    residentPages: s?.residentPages ?? 0,
  };
}

function interruptedStop(machine: Machine): InterruptedStop {
  const pc64 = machine.regs()[PC_REG[machine.arch]];
  return {
    reason: 'interrupted',
    code: EXIT_INTERRUPTED,
    message: `interrupted (Ctrl-C) at pc 0x${pc64.toString(16)}`,
    pc: Number(pc64),
    pc64,
  };
}

/** Calls `onInterrupt` on the first SIGINT while `body` runs; a second one ends the process. */
export async function withSigint<T>(onInterrupt: () => void, body: () => Promise<T>): Promise<T> {
  const handler = () => {
    process.removeListener('SIGINT', handler);
    onInterrupt();
  };
  process.on('SIGINT', handler);
  try {
    return await body();
  } finally {
    process.removeListener('SIGINT', handler);
  }
}
