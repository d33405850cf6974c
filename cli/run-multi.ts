/*
 * `nestvm run a.elf b.elf ...` (and `run --merge`): several guests on one host, round-robin by
 * slices (emulator/host-run.ts), each with its own vmspace and GPT over one host RAM, pmap, table
 * pool and reservoir; with --merge, the same-page merge scanner between slices.
 *
 * Each guest is a VmSpec (cli/vm-spec.ts): a positional guest takes the command line's options, a
 * `--vm "GUEST --mem 4M --cpus 2 ..."` its own per-VM options and the command line's for the rest.
 * --host-mem is the whole host's (default: each guest's RAM plus 1 MiB of table room); less than
 * every guest's RAM overcommits, each guest reclaiming within its even share
 * (emulator/nested-host.ts). A VM of several vCPUs runs them round-robin within its own turns
 * (emulator/host-run.ts), and each vCPU of each VM has its own per-CPU PV list on the host's pool,
 * so the host is built with the sum of the VMs' vCPUs. Each guest's console goes to stdout
 * as it is produced, every line tagged `[vm0] `, `[vm1] ` ... in command-line order, so the
 * consoles stay apart; --json prints one object instead (cli/host-report.ts) with each console
 * whole. The exit status is the first non-zero guest status in command-line order. Ctrl-C stops
 * every guest between slices (status 130). --gdb debugs one guest only (refused here, exit 2).
 */
import type { GuestImage } from '../emulator/image.js';
import { loadGuest } from '../emulator/loaders/index.js';
import { Machine } from '../emulator/machine.js';
import { HostRun, type MergeOptions } from '../emulator/host-run.js';
import { sharedHostFor, type NestedHost } from '../emulator/nested-host.js';
import type { EventSink } from '../mmu/events.js';
import { minGuestFrames } from '../emulator/nested-vm.js';
import type { MachineEvent } from '../emulator/events.js';
import type { CliContext } from './context.js';
import { UsageError } from './errors.js';
import { machineOptions, type ExecArgs } from './guest-options.js';
import { lineVmSpec, type VmSpec } from './vm-spec.js';
import { hostReport, hostSummaryText } from './host-report.js';
import { EXIT_INTERRUPTED, interruptedStop, withSigint, type RunEnd } from './run-loop.js';
import type { TraceWriter } from './trace-writer.js';

export interface MultiArgs extends ExecArgs {
  json: boolean;
  gdb?: unknown;
}

/** Tags every line of one guest's console output with `[vmN] ` (a line may come in pieces). */
export function consoleTagger(tag: string, write: (text: string) => void): (text: string) => void {
  let atLineStart = true;
  return (text) => {
    let out = '';
    for (const piece of text.split(/(?<=\n)/)) {
      if (piece === '') continue;
      if (atLineStart) out += tag;
      out += piece;
      atLineStart = piece.endsWith('\n');
    }
    write(out);
  };
}

/** The guests named, each loaded with the command line's options. */
export async function loadGuests(paths: readonly string[], args: ExecArgs): Promise<GuestImage[]> {
  return loadSpecs(paths.map((p) => lineVmSpec(p, args)));
}

/** Each VM's guest, loaded with its own options (`run --vm`). */
async function loadSpecs(specs: readonly VmSpec[]): Promise<GuestImage[]> {
  const images: GuestImage[] = [];
  for (const s of specs)
    images.push(await loadGuest(s.guest, { arch: s.arch, load: s.load, memBytes: s.mem }));
  return images;
}

/** The one host the guests share (`run a.elf b.elf`, `tui a.elf b.elf`): each VM's RAM and vCPUs
 * from `specs` when given (`run --vm`), else the command line's for every guest. */
export function hostFor(
  images: readonly GuestImage[],
  args: ExecArgs,
  sink: EventSink<MachineEvent> | undefined,
  specs?: readonly VmSpec[],
): NestedHost {
  const mems = specs?.map((s) => s.mem) ?? images.map(() => args.mem);
  return sharedHostFor(mems, {
    hostBytes: args['host-mem'],
    hostLayout: args['host-layout'],
    seed: args.seed,
    sink,
    leastGuestFrames: Math.max(...images.map((img) => minGuestFrames(img.arch))),
    cpus: specs?.reduce((n, s) => n + s.cpus, 0) ?? images.length,
  });
}

/** Run every guest on one host to its end, and report. */
export async function runOnHost(
  ctx: CliContext,
  specs: readonly VmSpec[],
  args: MultiArgs,
  merge: MergeOptions | null,
  trace: TraceWriter<MachineEvent> | undefined,
): Promise<void> {
  if (args.gdb !== undefined)
    throw new UsageError('--gdb debugs one guest: give one guest and no --merge to debug it');
  const images = await loadSpecs(specs);
  const opts = machineOptions(args);
  const host = hostFor(images, args, trace, specs);
  const machines: Machine[] = [];
  try {
    for (const [i, image] of images.entries()) {
      const onConsole = args.json ? undefined : consoleTagger(`[vm${i}] `, (t) => ctx.stdout.write(t));
      const { mem: memBytes, maxInsns, format, cpus } = specs[i];
      machines.push(
        new Machine(image, { ...opts, memBytes, maxInsns, format, cpus, host, sink: trace, onConsole }),
      );
    }
    const run = new HostRun(host, machines, merge, trace);
    trace?.open();
    let interrupted = false;
    await withSigint(
      () => (interrupted = true),
      async () => {
        while (!run.done && !interrupted) {
          run.slice();
          await new Promise((resolve) => setImmediate(resolve));
        }
      },
    );
    const stops: RunEnd[] = machines.map((m, i) => run.stops[i] ?? interruptedStop(m));
    const report = hostReport(images, run, stops, merge !== null);
    if (args.json) ctx.stdout.write(JSON.stringify(report) + '\n');
    else ctx.stderr.write(hostSummaryText(report));
    ctx.status = interrupted ? EXIT_INTERRUPTED : report.host.exit.code;
  } finally {
    for (const m of machines) m.close();
  }
}
