/*
 * `nestvm tui <guest>`: the live view. The same guest options as `run` (withExecOptions) and
 * --trace; the guest starts paused, so the first screen shows the machine before its first
 * instruction.
 *
 * The live view needs a terminal on both sides: stdout to draw on (refused here in one line, with
 * a pointer to `nestvm run`, exit status 8) and stdin for keys (refused by startTui the same way).
 * Everything the user does is an 'action' entry in the fault log and, with --trace, an event in the
 * trace file next to the Machine's own. q quits with status 0 whatever the guest's status was: the
 * user ended the session, not the guest.
 *
 * Ink and React are loaded only when this command runs (other commands start faster), and only
 * after CI / CONTINUOUS_INTEGRATION were cleared from the environment: Ink reads them once, when it
 * loads, and in "CI mode" draws nothing until exit. Someone who asks for the live view on a real
 * terminal wants it drawn, CI variable or not (the end-to-end test runs it so, under tmux).
 * With --gdb [HOST:]PORT (and --gdb-wait) the gdb stub serves the same Machine (cli/gdb/server.ts,
 * hosted): the view runs the guest while gdb does not hold it, shows gdb's stops on its status
 * line, and refuses its own run keys while gdb has the guest. The stub's notes (listening on,
 * connected, gone) go to the fault log as actions.
 * With --migrate (and migrate's link, stop-rule and destination options) the view runs a live
 * migration instead (cli/tui/migration-port.ts): the source until the hand-over, the rounds in the
 * Dirty pane as they close, then the destination; --gdb does not combine with it.
 * With several guests (`tui a.elf b.elf`) they share one host, as under `run a.elf b.elf`, and run
 * round-robin in the same order (cli/tui/host-port.ts); every pane shows one guest at a time (v
 * picks it); --merge (and its options) merges their identical pages, as under `run`; not with
 * --migrate, --gdb or --cpus above 1.
 * React is loaded in its production build unless NODE_ENV says otherwise: the development build
 * (the default when NODE_ENV is unset) spends several times the guest's own time on every frame
 * (bench/tui-ips.ts).
 */
import type { Argv } from 'yargs';
import type { GuestImage } from '../../emulator/image.js';
import type { MachineEvent } from '../../emulator/events.js';
import { handle, type CommandFactory } from './handle.js';
import { EnvironmentError, UsageError } from '../errors.js';
import { machineOptions, sampleVcpus, withExecOptions } from '../guest-options.js';
import {
  migrationPlan,
  refuseUnmigratable,
  withMigrationOptions,
  type MigrationArgs,
} from '../migrate-options.js';
import { TraceWriter } from '../trace-writer.js';
import { hostFor, loadGuests } from '../run-multi.js';
import { checkMergeFlags, mergePlan, withMergeOptions, type MergeArgs } from '../merge-options.js';
import { gdbListen, withGdbOptions, type GdbArgs } from '../gdb/gdb-options.js';

interface TuiArgs extends MigrationArgs, GdbArgs, MergeArgs {
  trace?: string;
  migrate: boolean;
  guests?: string[];
}

/* Several guests, or --merge, share one host (as under `run`): not with --migrate, --gdb or --cpus above 1. */
function checkShared(a: Record<string, unknown>): true {
  checkMergeFlags(a);
  if ((!Array.isArray(a.guests) || a.guests.length === 0) && a.merge !== true) return true;
  const what = a.merge === true ? '--merge' : 'several guests';
  if (a.migrate === true) throw new UsageError(`--migrate takes one guest (not ${what})`);
  if (a.gdb !== undefined) throw new UsageError(`--gdb debugs one guest (not ${what})`);
  if (typeof a.cpus === 'number' && a.cpus > 1)
    throw new UsageError(`--cpus ${a.cpus} runs one guest alone (not with ${what})`);
  return true;
}

/** The terminal stream behind the CLI's stdout, when it is one. */
function terminalOf(out: unknown): NodeJS.WriteStream | null {
  const s = out as Partial<NodeJS.WriteStream> | null;
  return s !== null && typeof s === 'object' && s.isTTY === true ? (s as NodeJS.WriteStream) : null;
}

/* tui's options: run's guest options, gdb's, migrate's, more guests and --trace. */
function tuiOptions(y: Argv) {
  return (
    withMergeOptions(withMigrationOptions(withGdbOptions(withExecOptions(y)), ' (with --migrate)'))
      .positional('guests', {
        describe:
          'more guests: all run on one shared host, as with `run a b`; v shows the next in every pane',
        type: 'string',
        array: true,
      })
      .option('trace', {
        type: 'string',
        requiresArg: true,
        describe: 'write every event, and every key action, to FILE as JSON lines',
      })
      .option('migrate', {
        type: 'boolean',
        default: false,
        describe:
          'live-migrate the guest while you watch: the rounds in the Dirty pane, then the destination',
      })
      // Not yargs' conflicts(): that counts migrate's default (false) as given.
      .check((a) => {
        if (a.migrate === true && a.gdb !== undefined)
          throw new UsageError('--migrate and --gdb are mutually exclusive');
        checkShared(a);
        return a.migrate === true ? refuseUnmigratable(a) : true;
      })
      .example('$0 tui guests/x86_64/memtouch.s', 'watch nested faults fill the dirty grid')
      .example('$0 tui guests/arm64/paging.s --trace tui.jsonl', 'record what you did')
      .example('$0 tui guests/x86_64/paging.s --gdb 1234', 'watch it while gdb-multiarch debugs it')
      .example('$0 tui c-writer --migrate --dst-format npt', 'watch a live migration from EPT to nPT')
      .example('$0 tui guests/x86_64/smp-sum.s --cpus 4', 'four vCPUs: c shows the next in the CPU pane')
      .example('$0 tui c-pages c-hello', 'two guests on one host: v switches every pane between them')
  );
}

export const tuiCommand: CommandFactory = (ctx) => ({
  command: 'tui <guest> [guests..]',
  describe: 'watch a guest live: faults, holds, dirty pages, nested tables (keys: ? for help)',
  builder: tuiOptions,
  handler: handle<TuiArgs>(async (args) => {
    const stdout = terminalOf(ctx.stdout);
    if (stdout === null) {
      throw new EnvironmentError(
        'the live view needs a terminal, but stdout is not one (use `nestvm run` for a plain run)',
      );
    }
    delete process.env.CI;
    delete process.env.CONTINUOUS_INTEGRATION;
    process.env.NODE_ENV ??= 'production'; // React's development build costs the guest most of its speed
    const { openTuiSession } = await import('../tui/machine-port.js');
    const { startTui } = await import('../tui/index.js');
    const paths = [args.guest, ...(args.guests ?? [])];
    const images = await loadGuests(paths, args);
    const trace = args.trace === undefined ? undefined : new TraceWriter<MachineEvent>(args.trace);
    try {
      const { session, served } =
        paths.length > 1 || args.merge
          ? await openShared(images, paths, args, trace)
          : args.migrate
            ? await openMigration(images[0], args, trace)
            : await openTuiSession(images[0], {
                guest: args.guest,
                machine: { ...machineOptions(args), ...sampleVcpus(args) },
                trace,
                gdb: gdbListen(args) ?? undefined,
              });
      trace?.open(); // only now: refused options leave no file
      await startTui(session, { stdout });
      await served; // quitting closed the session, which shut the stub down
      ctx.status = 0;
    } finally {
      trace?.close();
    }
  }),
});

/* `--migrate`: the migration's live session (cli/tui/migration-port.ts), no gdb stub. */
async function openMigration(image: GuestImage, args: TuiArgs, trace: TraceWriter<MachineEvent> | undefined) {
  const { openMigrationSession } = await import('../tui/migration-port.js');
  const plan = migrationPlan(image, args);
  const setup = {
    source: plan.source,
    destination: plan.destination,
    ...plan.options,
    sliceInsns: plan.options.slice,
  };
  const { session } = await openMigrationSession(image, { guest: args.guest, setup, trace });
  return { session, served: null };
}

/* Several guests: one shared host, one session whose panes show one guest at a time (host-port.ts). */
async function openShared(
  images: GuestImage[],
  paths: string[],
  args: TuiArgs,
  trace: TraceWriter<MachineEvent> | undefined,
) {
  const { openHostSession } = await import('../tui/host-port.js');
  const host = hostFor(images, args, trace);
  const { session } = await openHostSession(images, {
    guests: paths,
    host,
    machine: machineOptions(args),
    merge: mergePlan(args),
    trace,
  });
  return { session, served: null };
}
