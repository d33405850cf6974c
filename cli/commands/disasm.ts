/*
 * `nestvm disasm <guest>`: list a guest's code with addresses, bytes and ELF symbols, disassembled
 * by capstone (Intel syntax on x86-64). Only executable segments are listed. --json gives the same
 * listing as one object: the image, then each segment with its instructions (`{addr, bytes,
 * mnemonic, opStr}`, as `xp --format disasm` gives them, plus the labels at that address).
 */
import type { Argv } from 'yargs';
import { disassemble } from '../../emulator/asm/index.js';
import type { GuestImage } from '../../emulator/image.js';
import { loadGuest } from '../../emulator/loaders/index.js';
import { withGuestOptions, type GuestArgs } from '../guest-options.js';
import { insnReport, type InsnReport } from '../xp-report.js';
import { handle, type CommandFactory } from './handle.js';

const hex = (n: number, width = 8) => n.toString(16).padStart(width, '0');

interface DisasmArgs extends GuestArgs {
  json: boolean;
}

export interface DisasmReport {
  guest: string;
  arch: string;
  kind: string;
  entry: number;
  segments: { gpa: number; end: number; flags: string; insns: (InsnReport & { labels: string[] })[] }[];
}

async function disasmReport(image: GuestImage): Promise<DisasmReport> {
  const labels = new Map<number, string[]>();
  for (const s of image.symbols) labels.set(s.addr, [...(labels.get(s.addr) ?? []), s.name]);
  const segments: DisasmReport['segments'] = [];
  for (const seg of image.segments.filter((s) => s.flags.includes('x'))) {
    const insns = (await disassemble(image.arch, seg.data, seg.gpa)).map((i) => ({
      ...insnReport(i),
      labels: labels.get(i.addr) ?? [],
    }));
    segments.push({ gpa: seg.gpa, end: seg.gpa + seg.memSize, flags: seg.flags, insns });
  }
  return { guest: image.origin, arch: image.arch, kind: image.kind, entry: image.entry, segments };
}

function listing(r: DisasmReport): string {
  const out: string[] = [`; ${r.guest}: ${r.arch} ${r.kind}, entry 0x${hex(r.entry)}`];
  for (const seg of r.segments) {
    out.push('', `; segment 0x${hex(seg.gpa)}-0x${hex(seg.end)} (${seg.flags})`);
    for (const insn of seg.insns) {
      for (const name of insn.labels) out.push(`${name}:`);
      const bytes = (insn.bytes.match(/../g) ?? []).join(' ');
      out.push(`  ${hex(insn.addr)}  ${bytes.padEnd(24)} ${insn.mnemonic} ${insn.opStr}`.trimEnd());
    }
  }
  return out.join('\n') + '\n';
}

export const disasmCommand: CommandFactory = (ctx) => ({
  command: 'disasm <guest>',
  describe: "list a guest's code with addresses and symbols",
  builder: (y: Argv) =>
    withGuestOptions(y)
      .option('json', {
        type: 'boolean',
        default: false,
        describe: 'print the listing as one JSON object instead',
      })
      .example('$0 disasm guests/arm64/hello.s', 'show the assembled code'),
  handler: handle<DisasmArgs>(async (args) => {
    const image = await loadGuest(args.guest, { arch: args.arch, load: args.load, memBytes: args.mem });
    const report = await disasmReport(image);
    ctx.stdout.write(args.json ? JSON.stringify(report) + '\n' : listing(report));
  }),
});
