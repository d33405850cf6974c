/*
 * `nestvm run [guest]`: load a guest, run it to its end through the Machine, and report.
 *
 * Guest console text goes to stdout as the guest produces it. At the end a summary goes to stderr
 * (so stdout stays exactly the guest's output and can be diffed), or, with --json, one JSON object
 * goes to stdout instead. The process exits with the guest's own status (cli/exit-codes.ts).
 * Ctrl-C stops the guest between slices; the summary is printed and the status is 130. On a
 * terminal a long run shows a live status line on stderr (cli/run-loop.ts). With --gdb the guest
 * runs under the gdb stub instead (cli/gdb/server.ts): gdb connects, breaks, steps and watches;
 * the run ends as the guest's does, or when gdb kills it. --snapshot-at writes a snapshot on the
 * way, and --restore starts from one (cli/snapshot-options.ts); the guest is then optional.
 * Several guests (`run a.elf b.elf`), `--vm "GUEST [per-VM options]"` (repeatable, after the
 * positional guests; cli/vm-spec.ts), or --merge, run on one shared host instead (cli/run-multi.ts).
 */
import type { Argv } from 'yargs';
import { loadGuest } from '../../emulator/loaders/index.js';
import { counterChoice } from '../../emulator/unicorn/block-shim.js';
import { Machine } from '../../emulator/machine.js';
import { ramDigest } from '../../emulator/snapshot/snapshot.js';
import { handle, type Args, type CommandFactory } from './handle.js';
import type { CliContext } from '../context.js';
import type { MachineEvent } from '../../emulator/events.js';
import { machineOptions, sampleVcpus, withExecOptions, type ExecArgs } from '../guest-options.js';
import { TraceWriter } from '../trace-writer.js';
import { runReport, summaryText } from '../run-report.js';
import { runSlices, StatusLine, statusLineWanted, withSigint, type RunEnd } from '../run-loop.js';
import { gdbListen, withGdbOptions, type GdbArgs } from '../gdb/gdb-options.js';
import { GdbServer } from '../gdb/server.js';
import { EXIT } from '../exit-codes.js';
import {
  restoredShape,
  restorePoint,
  snapshotPauses,
  withSnapshotOptions,
  type RestorePoint,
  type SnapshotArgs,
  type SnapshotWritten,
} from '../snapshot-options.js';
import { groupDigits } from '../count-text.js';
import { UsageError } from '../errors.js';
import { runOnHost } from '../run-multi.js';
import { checkMergeFlags, mergePlan, withMergeOptions, type MergeArgs } from '../merge-options.js';
import { GUESTS_POSITIONAL, VM_FLAG, vmSpecs, type VmSpec } from '../vm-spec.js';

interface RunArgs extends ExecArgs, GdbArgs, SnapshotArgs, MergeArgs {
  json: boolean;
  trace?: string;
  guests?: string[];
  vm?: string[];
}

export const runCommand: CommandFactory = (ctx) => ({
  command: 'run [guest] [guests..]',
  describe: 'run a guest to its end and show what happened',
  builder: (y: Argv) =>
    withMergeOptions(withSnapshotOptions(withGdbOptions(withExecOptions(y, 'format', false))))
      .option('json', {
        type: 'boolean',
        default: false,
        describe: 'print one JSON object (console, exit, instructions, ...) on stdout instead of streaming',
      })
      .positional('guests', GUESTS_POSITIONAL)
      .option('vm', VM_FLAG)
      .check((a: Record<string, unknown>) => checkMergeFlags(a))
      .option('trace', {
        type: 'string',
        requiresArg: true,
        describe: 'write every event (faults, fills, maps, PV, holds, ...) to FILE as JSON lines',
      })
      .example('$0 run guests/x86_64/memtouch.s --format npt', 'the same guest on AMD nested page tables')
      .example('$0 run guests/arm64/loop.s --trace run.jsonl', 'record the event stream')
      .example('$0 run guests/x86_64/hello.s', 'print a greeting through the port 0xE9 console')
      .example('$0 run guests/arm64/loop.s --max-insns 1e6 --json', 'stop after a million instructions')
      .example('$0 run c-hello c-hello --merge', 'two guests on one host, identical pages merged')
      .example(
        '$0 run hello --vm "c-hello --cpus 2 --format npt"',
        'the second guest with options of its own',
      )
      .example(
        '$0 run guests/x86_64/paging.s --gdb 1234 --gdb-wait',
        'debug it: gdb-multiarch -ex "target remote :1234"',
      )
      .example('$0 run loop-arm64 --snapshot-at 1e6 --snapshot-file loop.nvs', 'snapshot it on the way')
      .example('$0 run --restore loop.nvs --format s2 --host-layout identity', 'and continue from there'),
  handler: handle<RunArgs>((args) => runGuest(ctx, args)),
});

/* Load, run to the end (under the gdb stub with --gdb), report. */
async function runGuest(ctx: CliContext, args: Args<RunArgs>): Promise<void> {
  if ((args.guests ?? []).length > 0 || (args.vm ?? []).length > 0 || args.merge)
    return runShared(ctx, sharedGuests(args), args);
  const from = restorePoint(args);
  const image =
    from?.image ?? (await loadGuest(args.guest, { arch: args.arch, load: args.load, memBytes: args.mem }));
  const trace = args.trace === undefined ? undefined : new TraceWriter<MachineEvent>(args.trace);
  const listen = gdbListen(args);
  const status =
    listen === null && statusLineWanted(ctx.stderr, args.json) ? new StatusLine(ctx.stderr) : null;
  const onConsole = (text: string) => {
    status?.clear(); // the guest's text never lands after the status line
    ctx.stdout.write(text);
  };
  try {
    const machine = new Machine(image, {
      ...machineOptions(args),
      ...(from === null ? sampleVcpus(args) : restoredShape(from, args)),
      sink: trace,
      onConsole: args.json ? undefined : onConsole,
    });
    if (args.verbose) ctx.stderr.write(`nestvm: counting instructions with ${counterChoice().why}\n`);
    try {
      if (from !== null) machine.restore(from.file.snapshot);
      const snap = snapshotPauses(args, machine, from?.file.guest ?? args.guest);
      let interrupted = false;
      const gdb =
        listen === null
          ? null
          : await GdbServer.listen(machine, listen, { log: ctx.stderr, interrupted: () => interrupted });
      trace?.open(); // only now, with every option accepted and the stub listening: a refused run leaves no file
      const stop: RunEnd = await withSigint(
        () => (interrupted = true),
        () =>
          gdb?.serve() ?? runSlices(machine, { status, interrupted: () => interrupted, pauses: snap.pauses }),
      );
      const snapped = from !== null || args['snapshot-at'] !== undefined;
      const report = {
        ...runReport(image, machine, stop),
        ...(snapped && { ...snapshotKeys(from, snap.written()), ramDigest: ramDigest(machine) }),
      };
      if (args.json) ctx.stdout.write(JSON.stringify(report) + '\n');
      else ctx.stderr.write(summaryText(report) + (snapped ? snapshotText(from, snap.written()) : ''));
      ctx.status = stop.code;
      if (args['snapshot-at'] !== undefined && snap.written() === null) {
        ctx.stderr.write(
          `nestvm: the guest stopped before --snapshot-at ${args['snapshot-at']}: no snapshot written\n`,
        );
        ctx.status = EXIT.usage;
      }
    } finally {
      machine.close();
    }
  } finally {
    trace?.close();
  }
}

/* run's --json keys for snapshots: `restored` (where the run began) and `snapshot` (what it wrote). */
function snapshotKeys(from: RestorePoint | null, written: SnapshotWritten | null) {
  const restored =
    from === null
      ? undefined
      : { file: from.path, instructions: from.file.snapshot.state.instructions, id: from.file.id };
  return { ...(restored && { restored }), snapshot: written };
}

function snapshotText(from: RestorePoint | null, w: SnapshotWritten | null): string {
  const lines: string[] = [];
  if (from !== null)
    lines.push(
      `  restored from   ${from.path} at ${groupDigits(from.file.snapshot.state.instructions)} instructions`,
    );
  if (w !== null) {
    const kind = w.base === null ? 'full' : `diff over ${w.base.slice(0, 12)}`;
    lines.push(
      `  snapshot        ${w.file} at ${groupDigits(w.instructions)} instructions (${kind}, ${groupDigits(w.pages)} pages, ${groupDigits(w.bytes)} bytes)`,
    );
  }
  return lines.map((l) => l + '\n').join('');
}

/* The VMs of a shared-host run; a snapshot option there is refused (it takes one guest). */
function sharedGuests(args: Args<RunArgs>): VmSpec[] {
  const positional = args.guest === undefined ? [] : [args.guest, ...(args.guests ?? [])];
  if (positional.length === 0 && (args.vm ?? []).length === 0) throw new UsageError('run needs a guest');
  if (args.restore !== undefined || args['snapshot-at'] !== undefined)
    throw new UsageError('--restore and --snapshot-at take one guest, not several, --vm or --merge');
  return vmSpecs(positional, args.vm ?? [], args);
}

/* Several guests, or --merge: one shared host (cli/run-multi.ts). */
async function runShared(ctx: CliContext, specs: VmSpec[], args: Args<RunArgs>): Promise<void> {
  const trace = args.trace === undefined ? undefined : new TraceWriter<MachineEvent>(args.trace);
  try {
    await runOnHost(ctx, specs, args, mergePlan(args), trace);
  } finally {
    trace?.close();
  }
}
