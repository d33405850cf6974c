/*
 * `nestvm walk <guest> <address>`: run a guest to a point, then show how an address translates.
 *
 *   guest-physical (default): the nested walk, root to leaf: each entry's host-physical location,
 *   its raw value, its bits decoded as the Intel / AMD / Arm manuals name them, and the frame.
 *   --virtual: the full two-dimensional walk of a guest-virtual address: every guest table
 *   reference, each first translated through the nested tables, then the data page (up to 24
 *   references for 4 x 4 levels).
 *
 * The walk is read-only: it reads PTEs from host RAM and sets no Accessed or Dirty bit. It takes
 * run's options, --json (the walk as one object, cli/walk-report.ts) and --trace FILE (the
 * events of the run up to the walk). Every check is in the builder, as in the other commands.
 */
import type { Argv } from 'yargs';
import type { MachineEvent } from '../../emulator/events.js';
import { loadGuest } from '../../emulator/loaders/index.js';
import { Machine } from '../../emulator/machine.js';
import { machineOptions, withExecOptions, type ExecArgs } from '../guest-options.js';
import { UsageError } from '../errors.js';
import { parseAddress, parseCount } from '../parse.js';
import { TraceWriter } from '../trace-writer.js';
import { nestedWalk, twoDimWalk, walkReport, walkText } from '../walk-report.js';
import type { CliContext } from '../context.js';
import { handle, type Args, type CommandFactory } from './handle.js';

interface WalkArgs extends ExecArgs {
  address: number;
  virtual: boolean;
  'at-insns'?: number;
  json: boolean;
  trace?: string;
}

export const walkCommand: CommandFactory = (ctx) => ({
  command: 'walk <guest> <address>',
  describe: 'run a guest, then show the nested (or two-dimensional) walk of an address',
  builder: walkOptions,
  handler: handle<WalkArgs>((args) => runAndWalk(ctx, args)),
});

/* run's options, the address and walk's own options, and every check on them. */
function walkOptions(y: Argv) {
  return withExecOptions(y)
    .positional('address', {
      describe: 'guest-physical address (guest-virtual with --virtual)',
      type: 'string',
      coerce: (v: unknown) => parseAddress('address', v),
    })
    .option('virtual', {
      type: 'boolean',
      default: false,
      describe: 'walk a guest-virtual address in two dimensions',
    })
    .option('json', {
      type: 'boolean',
      default: false,
      describe: 'print the walk as one JSON object (stop, then every entry read) instead',
    })
    .option('trace', {
      type: 'string',
      requiresArg: true,
      describe: 'write every event of the run to FILE as JSON lines',
    })
    .check(oneStopPoint)
    .option('at-insns', {
      type: 'string',
      requiresArg: true,
      describe: 'stop the guest after this many instructions and walk then (default: run to the end)',
      coerce: (v: unknown) => parseCount('at-insns', v),
    })
    .example('$0 walk guests/x86_64/memtouch.s 0x200000', 'where the first touched page landed')
    .example('$0 walk guests/x86_64/paging.s 0x7f0000000000 --virtual', 'all 24 references of a 2-D walk');
}

/* --at-insns and --max-insns are two ways to say where the run stops: at most one is given. */
function oneStopPoint(a: Record<string, unknown>): true {
  if (a['at-insns'] !== undefined && a['max-insns'] !== undefined)
    throw new UsageError('--at-insns and --max-insns both say where to stop: give one');
  return true;
}

/* Run the guest to its stop (writing the trace, if asked), then walk the address and print the walk. */
async function runAndWalk(ctx: CliContext, args: Args<WalkArgs>): Promise<void> {
  const image = await loadGuest(args.guest, { arch: args.arch, load: args.load, memBytes: args.mem });
  const trace = args.trace === undefined ? undefined : new TraceWriter<MachineEvent>(args.trace);
  try {
    const machine = new Machine(image, {
      ...machineOptions(args),
      maxInsns: args['at-insns'] ?? args['max-insns'],
      sink: trace,
    });
    try {
      trace?.open(); // only now, with every option accepted
      const stop = machine.run();
      const walk = args.virtual ? twoDimWalk(machine, args.address) : nestedWalk(machine, args.address);
      const report = walkReport(machine, image.origin, stop, walk);
      ctx.stdout.write(args.json ? JSON.stringify(report) + '\n' : walkText(report));
    } finally {
      machine.close();
    }
  } finally {
    trace?.close();
  }
}
