/*
 * `nestvm disasm <guest>`: list a guest's code with addresses, bytes and ELF symbols, disassembled
 * by capstone (Intel syntax on x86-64). Only executable segments are listed.
 */
import type { Argv } from 'yargs';
import { disassemble } from '../../emulator/asm/index.js';
import type { GuestImage, GuestSymbol } from '../../emulator/image.js';
import { loadGuest } from '../../emulator/loaders/index.js';
import { withGuestOptions, type GuestArgs } from '../guest-options.js';
import { handle, type CommandFactory } from './handle.js';

const hex = (n: number, width = 8) => n.toString(16).padStart(width, '0');

async function listing(image: GuestImage): Promise<string> {
  const labels = new Map<number, GuestSymbol[]>();
  for (const s of image.symbols) labels.set(s.addr, [...(labels.get(s.addr) ?? []), s]);
  const out: string[] = [`; ${image.origin}: ${image.arch} ${image.kind}, entry 0x${hex(image.entry)}`];
  for (const seg of image.segments.filter((s) => s.flags.includes('x'))) {
    out.push('', `; segment 0x${hex(seg.gpa)}-0x${hex(seg.gpa + seg.memSize)} (${seg.flags})`);
    for (const insn of await disassemble(image.arch, seg.data, seg.gpa)) {
      for (const sym of labels.get(insn.addr) ?? []) out.push(`${sym.name}:`);
      const bytes = Array.from(insn.bytes, (b) => hex(b, 2)).join(' ');
      out.push(`  ${hex(insn.addr)}  ${bytes.padEnd(24)} ${insn.mnemonic} ${insn.opStr}`.trimEnd());
    }
  }
  return out.join('\n') + '\n';
}

export const disasmCommand: CommandFactory = (ctx) => ({
  command: 'disasm <guest>',
  describe: "list a guest's code with addresses and symbols",
  builder: (y: Argv) =>
    withGuestOptions(y).example('$0 disasm guests/arm64/hello.s', 'show the assembled code'),
  handler: handle<GuestArgs>(async (args) => {
    const image = await loadGuest(args.guest, { arch: args.arch, load: args.load, memBytes: args.mem });
    ctx.stdout.write(await listing(image));
  }),
});
