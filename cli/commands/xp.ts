/*
 * `nestvm xp <guest> <address> [length]`: run a guest to its end (or --at-insns N), then dump
 * memory at an address of one space (--space gva, gpa or hpa; default gpa, as QEMU's `xp`) as hex,
 * 64-bit words or disassembly (--format; the entry format is --nested-format here), read without side effects: the guest's tables by a dry
 * walk, guest RAM through the vmspace's mappings, host RAM in place; no Accessed or Dirty bit is
 * set and no page held (emulator/debug/debug-memory.ts, cli/xp-report.ts). Takes run's options, --json and
 * --trace FILE (cli/stopped-machine.ts); every check is in the builder.
 */
import type { Argv } from 'yargs';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { SPACES, type Space } from '../../emulator/debug/debug-memory.js';
import { parseAddress, parseCount } from '../parse.js';
import { inspectStopped, withStopOptions, type StopArgs } from '../stopped-machine.js';
import { XP_FORMATS, xpHead, xpRead, xpReport, xpText, type XpFormat } from '../xp-report.js';
import { handle, type Args, type CommandFactory } from './handle.js';

/** The most one dump may read: enough for any page-table page or code window, small enough to print. */
export const XP_MAX = 1 << 20;
const XP_DEFAULT = 64;

interface XpArgs extends StopArgs {
  address: number;
  length: number;
  space: Space;
  /** How to print the bytes; the entry format is --nested-format here (cli/guest-options.ts). */
  format: XpFormat;
}

export const xpCommand: CommandFactory = (ctx) => ({
  command: 'xp <guest> <address> [length]',
  describe: 'run a guest, then dump memory at a guest-virtual, guest-physical or host-physical address',
  builder: xpOptions,
  handler: handle<XpArgs>((args) => dump(ctx, args)),
});

function xpOptions(y: Argv) {
  return withStopOptions(y, 'bytes', 'nested-format')
    .positional('address', {
      describe: 'where to start, in the space --space names',
      type: 'string',
      coerce: (v: unknown) => parseAddress('address', v),
    })
    .positional('length', {
      describe: `how many bytes (default ${XP_DEFAULT}, at most ${XP_MAX})`,
      type: 'string',
      default: String(XP_DEFAULT),
      coerce: (v: unknown) => xpLength(v),
    })
    .option('space', {
      describe:
        'address space of the address: guest-virtual (through the guest tables), guest-physical, host-physical',
      choices: SPACES,
      default: 'gpa' as Space,
      requiresArg: true,
    })
    .option('format', {
      describe: 'how to print the bytes: hex with ASCII, 64-bit words, or disassembled',
      choices: XP_FORMATS,
      default: 'hex' as XpFormat,
      requiresArg: true,
    })
    .example(
      '$0 xp guests/x86_64/paging.s 0x7f0000000000 --space gva',
      'what the guest wrote through its high alias',
    )
    .example('$0 xp memtouch 0x100000 32 --format disasm', 'the first instructions of memtouch');
}

function xpLength(v: unknown): number {
  const n = parseCount('length', v);
  if (n > XP_MAX) throw new UsageError(`length: at most ${XP_MAX} bytes in one dump, not ${n}`);
  return n;
}

async function dump(ctx: CliContext, args: Args<XpArgs>): Promise<void> {
  const got = await inspectStopped({ ...args, formatFlag: 'nested-format' }, (machine, image, stop) => ({
    read: xpRead(machine, args.space, args.address, args.length),
    head: xpHead(machine, image.origin, stop),
  }));
  const report = await xpReport(got.head, got.read, args.format);
  ctx.stdout.write(args.json ? JSON.stringify(report) + '\n' : xpText(report));
}
