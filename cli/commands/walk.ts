/*
 * `nestvm walk <guest> <address>`: run a guest to a point, then show how an address translates.
 *
 *   guest-physical (default): the nested walk, root to leaf: each entry's host-physical location,
 *   its raw value, its bits decoded as the Intel / AMD / Arm manuals name them, and the frame.
 *   --virtual: the full two-dimensional walk of a guest-virtual address: every guest table
 *   reference, each first translated through the nested tables, then the data page (up to 24
 *   references for 4 x 4 levels).
 *
 * The walk is read-only: it reads PTEs from host RAM and sets no Accessed or Dirty bit.
 */
import type { Argv } from 'yargs';
import { loadGuest } from '../../emulator/loaders/index.js';
import { Machine } from '../../emulator/machine.js';
import { gpa as toGpa, gva as toGva, hex, pageAlignDown, pageOffset, PAGE_SIZE } from '../../mmu/addr.js';
import type { DecodedEntry } from '../../mmu/gpt/entry-format.js';
import { formatWalkRef, gptNestedWalker, walkTwoDimensional } from '../../mmu/guest-walk/index.js';
import { UsageError } from '../errors.js';
import { machineOptions, withExecOptions, type ExecArgs } from '../guest-options.js';
import { parseAddress, parseCount } from '../parse.js';
import { handle, type CommandFactory } from './handle.js';

interface WalkArgs extends ExecArgs {
  address: number;
  virtual: boolean;
  'at-insns'?: number;
}

const LEVEL = ['', 'L1 (leaf table)', 'L2', 'L3', 'L4 (root)'];

function fields(d: DecodedEntry): string {
  return d.fields
    .filter((f) => f.value !== 0 || f.bits.includes(':'))
    .map((f) => `${f.name}=${f.bits.includes(':') ? hex(f.value) : f.value}`)
    .join(' ');
}

function nestedWalk(machine: Machine, address: number): string[] {
  const vm = machine.vm!;
  const out = [`nested walk of guest-physical ${hex(address)} (${vm.vmspace.format.title})`];
  const root = vm.vmspace.rootPointer();
  out.push(`  root pointer ${vm.vmspace.format.decode(root.lo, root.hi, 'root').hex}`);
  for (const step of vm.vmspace.gpt.explain(toGpa(address))) {
    out.push(`  ${LEVEL[step.level].padEnd(16)} pte @ hpa ${hex(step.pte)} = ${step.decoded.hex}`);
    out.push(`  ${''.padEnd(16)} ${step.decoded.present ? fields(step.decoded) : 'not present'}`);
  }
  const leaf = vm.vmspace.gpt.lookup(pageAlignDown(toGpa(address)));
  out.push(
    leaf === null
      ? '  => not mapped: the next guest access here is a nested page fault'
      : `  => host-physical ${hex(leaf.frame * PAGE_SIZE + pageOffset(address))} (frame ${hex(leaf.frame)})`,
  );
  return out;
}

function twoDimWalk(machine: Machine, address: number): string[] {
  const vm = machine.vm!;
  const paging = machine.guestPaging();
  const walk = walkTwoDimensional(
    paging,
    toGva(address),
    'read',
    false,
    gptNestedWalker(vm.vmspace.gpt),
    vm.mem,
  );
  const out = [
    `two-dimensional walk of guest-virtual ${hex(address)} (${paging === null ? 'guest paging off' : `${paging.arch} guest paging on`}, ${vm.vmspace.format.title})`,
  ];
  for (const ref of walk.refs) out.push('  ' + formatWalkRef(paging, ref));
  const g = walk.guest;
  if (g.kind === 'guest-fault') out.push(`  => guest page fault at level ${g.level}: ${g.reason}`);
  else if (walk.final?.hpa !== undefined)
    out.push(
      `  => guest-physical ${hex(walk.final.gpa)}, host-physical ${hex(walk.final.hpa)} (${walk.refs.length} references)`,
    );
  else if (walk.final)
    out.push(`  => guest-physical ${hex(walk.final.gpa)} is not mapped in the nested tables`);
  return out;
}

export const walkCommand: CommandFactory = (ctx) => ({
  command: 'walk <guest> <address>',
  describe: 'run a guest, then show the nested (or two-dimensional) walk of an address',
  builder: (y: Argv) =>
    withExecOptions(y)
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
      .option('at-insns', {
        type: 'string',
        describe: 'stop the guest after this many instructions and walk then (default: run to the end)',
        coerce: (v: unknown) => parseCount('at-insns', v),
      })
      .example('$0 walk guests/x86_64/memtouch.s 0x200000', 'where the first touched page landed')
      .example('$0 walk guests/x86_64/paging.s 0x7f0000000000 --virtual', 'all 24 references of a 2-D walk'),
  handler: handle<WalkArgs>(async (args) => {
    if (args['at-insns'] !== undefined && args['max-insns'] !== undefined)
      throw new UsageError('--at-insns and --max-insns both say where to stop: give one');
    const image = await loadGuest(args.guest, { arch: args.arch, load: args.load, memBytes: args.mem });
    const machine = new Machine(image, {
      ...machineOptions(args),
      maxInsns: args['at-insns'] ?? args['max-insns'],
    });
    try {
      const stop = machine.run();
      ctx.stdout.write(
        `; ${image.origin} stopped (${stop.reason}) after ${machine.instructions} instructions\n`,
      );
      const lines = args.virtual ? twoDimWalk(machine, args.address) : nestedWalk(machine, args.address);
      ctx.stdout.write(lines.join('\n') + '\n');
    } finally {
      machine.close();
    }
  }),
});
