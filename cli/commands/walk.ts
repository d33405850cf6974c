/*
 * `nestvm walk <guest> <address>`: run a guest to a point, then show how an address translates.
 *
 *   guest-physical (default): the nested walk, root to leaf: each entry's host-physical location,
 *   its raw value, its bits decoded as the Intel / AMD / Arm manuals name them, and the frame.
 *   --virtual: the full two-dimensional walk of a guest-virtual address: every guest table
 *   reference, each first translated through the nested tables, then the data page (up to 24
 *   references for 4 x 4 levels), guest entries' bits named as the guest architecture names them.
 *
 * The walk is read-only: it reads PTEs from host RAM and sets no Accessed or Dirty bit. It takes
 * run's options, --json (the walk as one object, cli/walk-report.ts) and --trace FILE (the
 * events of the run up to the walk), shared with mem and xp (cli/stopped-machine.ts). Every check
 * is in the builder, as in the other commands.
 */
import type { Argv } from 'yargs';
import { parseAddress } from '../parse.js';
import { inspectStopped, withStopOptions, type StopArgs } from '../stopped-machine.js';
import { nestedWalk, twoDimWalk, walkReport, walkText } from '../walk-report.js';
import type { CliContext } from '../context.js';
import { handle, type Args, type CommandFactory } from './handle.js';

interface WalkArgs extends StopArgs {
  address: number;
  virtual: boolean;
}

export const walkCommand: CommandFactory = (ctx) => ({
  command: 'walk <guest> <address>',
  describe: 'run a guest, then show the nested (or two-dimensional) walk of an address',
  builder: walkOptions,
  handler: handle<WalkArgs>((args) => runAndWalk(ctx, args)),
});

/* run's options, the address and walk's own options, and every check on them. */
function walkOptions(y: Argv) {
  return withStopOptions(y, 'walk (stop, then every entry read)')
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
    .example('$0 walk guests/x86_64/memtouch.s 0x200000', 'where the first touched page landed')
    .example('$0 walk guests/x86_64/paging.s 0x7f0000000000 --virtual', 'all 24 references of a 2-D walk');
}

/* Run the guest to its stop (writing the trace, if asked), then walk the address and print the walk. */
async function runAndWalk(ctx: CliContext, args: Args<WalkArgs>): Promise<void> {
  const text = await inspectStopped(args, (machine, image, stop) => {
    const walk = args.virtual ? twoDimWalk(machine, args.address) : nestedWalk(machine, args.address);
    const report = walkReport(machine, image.origin, stop, walk);
    return args.json ? JSON.stringify(report) + '\n' : walkText(report);
  });
  ctx.stdout.write(text);
}
