/*
 * `nestvm mem <guest>`: run a guest to its end (or --at-insns N), then list every mapping it has,
 * merged into ranges (cli/mem-report.ts): the guest's own guest-virtual ranges with their rights and
 * the guest-physical addresses they reach (QEMU `info mem`, xv6 `vmprint`) while it pages; the
 * nested map from guest-physical ranges to host-physical frames, with the leaf bits named as the
 * format's manual names them; and the vmspace's regions. Read without side effects. Takes run's
 * options, --json and --trace FILE (cli/stopped-machine.ts); every check is in the builder.
 */
import type { Argv } from 'yargs';
import type { CliContext } from '../context.js';
import { memReport, memText } from '../mem-report.js';
import { inspectStopped, withStopOptions, type StopArgs } from '../stopped-machine.js';
import { handle, type Args, type CommandFactory } from './handle.js';

export const memCommand: CommandFactory = (ctx) => ({
  command: 'mem <guest>',
  describe: 'run a guest, then list its guest-virtual and nested mappings as ranges',
  builder: (y: Argv) =>
    withStopOptions(y, 'mappings')
      .example('$0 mem guests/x86_64/paging.s', "the guest's page tables and the nested map at the end")
      .example('$0 mem memtouch --at-insns 2000 --json', 'the nested map halfway, as JSON'),
  handler: handle<StopArgs>((args) => showMappings(ctx, args)),
});

async function showMappings(ctx: CliContext, args: Args<StopArgs>): Promise<void> {
  const text = await inspectStopped(args, (machine, image, stop) => {
    const report = memReport(machine, image.origin, stop);
    return args.json ? JSON.stringify(report) + '\n' : memText(report);
  });
  ctx.stdout.write(text);
}
