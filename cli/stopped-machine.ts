/*
 * What the inspection commands (`walk`, `mem`, `xp`) share: run's options plus where to stop
 * (`--at-insns N`, or the end), `--json` and `--trace FILE`, checked in the builder; then a run of
 * the guest to that point, and a look at the stopped machine before it is closed.
 *
 * The look is read-only by contract: whatever `inspect` does, it reads the tables and memory
 * without setting Accessed or Dirty bits or taking holds, so the trace (the run's events, up to the
 * stop) is the same with or without it. The trace file is created only once every option was
 * accepted and the Machine built (cli/trace-writer.ts).
 */
import type { Argv } from 'yargs';
import type { MachineEvent } from '../emulator/events.js';
import type { GuestImage } from '../emulator/image.js';
import { loadGuest } from '../emulator/loaders/index.js';
import { Machine } from '../emulator/machine.js';
import { UsageError } from './errors.js';
import { machineOptions, withExecOptions, type ExecArgs } from './guest-options.js';
import { parseCount } from './parse.js';
import type { RunEnd } from './run-loop.js';
import { jsonAddress } from './run-report.js';
import { TraceWriter } from './trace-writer.js';

/** Where the guest stopped, as every inspection report gives it (text head line and --json `stop`). */
export interface StopSummary {
  reason: string;
  code: number;
  instructions: number;
  pc: number | string;
}

export function stopSummary(machine: Machine, stop: RunEnd): StopSummary {
  return {
    reason: stop.reason,
    code: stop.code,
    instructions: machine.instructions,
    pc: jsonAddress(stop.pc, stop.pc64),
  };
}

/** The report's first line: `; GUEST stopped (REASON) after N instructions`. */
export const stopLine = (guest: string, stop: StopSummary): string =>
  `; ${guest} stopped (${stop.reason}) after ${stop.instructions} instructions`;

export interface StopArgs extends ExecArgs {
  'at-insns'?: number;
  /** Which flag names the entry format (xp: --nested-format). */
  formatFlag?: 'format' | 'nested-format';
  json: boolean;
  trace?: string;
}

/** run's options, --at-insns, --json and --trace, for a command that looks at a stopped guest. */
export function withStopOptions<T>(
  y: Argv<T>,
  what: string,
  formatFlag: 'format' | 'nested-format' = 'format',
) {
  return withExecOptions(y, formatFlag)
    .option('json', {
      type: 'boolean',
      default: false,
      describe: `print the ${what} as one JSON object instead`,
    })
    .option('trace', {
      type: 'string',
      requiresArg: true,
      describe: 'write every event of the run to FILE as JSON lines',
    })
    .option('at-insns', {
      type: 'string',
      requiresArg: true,
      describe: `stop the guest after this many instructions and show the ${what} then (default: run to the end)`,
      coerce: (v: unknown) => parseCount('at-insns', v),
    })
    .check(oneStopPoint);
}

/* --at-insns and --max-insns are two ways to say where the run stops: at most one is given. */
function oneStopPoint(a: Record<string, unknown>): true {
  if (a['at-insns'] !== undefined && a['max-insns'] !== undefined)
    throw new UsageError('--at-insns and --max-insns both say where to stop: give one');
  return true;
}

/** Run the guest to its stop (writing the trace, if asked), then hand the stopped machine to `inspect`. */
export async function inspectStopped<R>(
  args: StopArgs,
  inspect: (machine: Machine, image: GuestImage, stop: RunEnd) => R,
): Promise<R> {
  const image = await loadGuest(args.guest, { arch: args.arch, load: args.load, memBytes: args.mem });
  const trace = args.trace === undefined ? undefined : new TraceWriter<MachineEvent>(args.trace);
  try {
    const machine = new Machine(image, {
      ...machineOptions(args, args.formatFlag),
      maxInsns: args['at-insns'] ?? args['max-insns'],
      sink: trace,
    });
    try {
      trace?.open(); // only now, with every option accepted
      return inspect(machine, image, machine.run());
    } finally {
      machine.close();
    }
  } finally {
    trace?.close();
  }
}
