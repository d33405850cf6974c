/*
 * What `nestvm xp` reports: LEN bytes of a stopped machine's memory at ADDR in one address space
 * (gva, gpa or hpa), read without side effects (emulator/debug/debug-memory.ts), in one of three forms:
 *
 *   hex      16 bytes a line, then the bytes as ASCII          0x00401000: 77 72 6f 74 ...  |wrot...|
 *   words    64-bit little-endian words, 2 a line              0x00401000: 0x746f7277... 0x...
 *   disasm   capstone's disassembly (Intel syntax on x86-64)   0x00401000: 48 89 c7  mov rdi, rax
 *
 * Each line starts with its address in the space asked for. Where the bytes came from is part of
 * the report: one piece per page, with its guest-physical and host-physical address, so a gva dump
 * shows the pages it crossed. A read that meets an address it cannot read (not mapped by the guest,
 * a device window, outside host RAM) ends there, and the report says where and why; nothing at all
 * readable is a usage error, as any bad address is.
 *
 * The report is one plain object, the --json output and the source of the text alike. `data` is
 * the bytes as one hex string; `words` and `insns` are there for their formats.
 */
import { disassemble, type Insn } from '../emulator/asm/index.js';
import type { Machine } from '../emulator/machine.js';
import { hex } from '../mmu/addr.js';
import type { ReadPiece, Space } from '../emulator/debug/debug-memory.js';
import { UsageError } from './errors.js';
import type { RunEnd } from './run-loop.js';
import { stopLine, stopSummary, type StopSummary } from './stopped-machine.js';

export const XP_FORMATS = ['hex', 'words', 'disasm'] as const;
export type XpFormat = (typeof XP_FORMATS)[number];

/** One instruction as the reports give it (also `disasm --json`'s). */
export interface InsnReport {
  addr: number;
  bytes: string;
  mnemonic: string;
  opStr: string;
}

export interface XpReport {
  guest: string;
  arch: string;
  stop: StopSummary;
  space: Space;
  addr: number;
  len: number;
  format: XpFormat;
  /** How many bytes could be read (from addr on). */
  read: number;
  pieces: ReadPiece[];
  /** Where and why the read ended early (null: all len bytes were read). */
  unreadable: { addr: number; reason: string } | null;
  data: string;
  words?: string[];
  insns?: InsnReport[];
}

const byteHex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

export const insnReport = (i: Insn): InsnReport => ({
  addr: i.addr,
  bytes: byteHex(i.bytes),
  mnemonic: i.mnemonic,
  opStr: i.opStr,
});

/* Little-endian 64-bit words (a short tail is read as far as it goes). */
function words(b: Uint8Array): string[] {
  const out: string[] = [];
  for (let i = 0; i < b.length; i += 8) {
    const w = b.subarray(i, i + 8);
    out.push('0x' + byteHex(Uint8Array.from(w).reverse()).padStart(16, '0'));
  }
  return out;
}

/** Read the bytes of a stopped machine (synchronously, before it is closed). */
export function xpRead(machine: Machine, space: Space, addr: number, len: number) {
  const r = machine.debug.memory!.readSpace(space, addr, len);
  if (r.bytes.length === 0)
    throw new UsageError(`xp: ${space} ${hex(addr)} cannot be read: ${r.stop?.reason}`);
  return r;
}

/** The stopped machine's part of the report, taken before it is closed. */
export const xpHead = (machine: Machine, origin: string, stop: RunEnd) => ({
  guest: origin,
  arch: machine.arch,
  stop: stopSummary(machine, stop),
});

/** The report on bytes read from a machine, disassembled when asked (the machine may be closed by now). */
export async function xpReport(
  head: ReturnType<typeof xpHead>,
  read: ReturnType<typeof xpRead>,
  format: XpFormat,
): Promise<XpReport> {
  const bytes = read.bytes;
  const report: XpReport = {
    ...head,
    space: read.space,
    addr: read.addr,
    len: read.len,
    format,
    read: bytes.length,
    pieces: [...read.pieces],
    unreadable: read.stop,
    data: byteHex(bytes),
  };
  if (format === 'words') report.words = words(bytes);
  if (format === 'disasm') report.insns = (await disassemble(head.arch, bytes, read.addr)).map(insnReport);
  return report;
}

const at = (a: number): string => '0x' + a.toString(16).padStart(8, '0');
const printable = (b: number): string => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.');

function hexLines(r: XpReport): string[] {
  const out: string[] = [];
  for (let i = 0; i < r.data.length / 2; i += 16) {
    const chunk = r.data.slice(i * 2, (i + 16) * 2);
    const pairs = chunk.match(/../g) ?? [];
    const ascii = pairs.map((p) => printable(parseInt(p, 16))).join('');
    out.push(`${at(r.addr + i)}: ${pairs.join(' ').padEnd(47)}  |${ascii}|`);
  }
  return out;
}

function bodyLines(r: XpReport): string[] {
  if (r.format === 'words') {
    const w = r.words ?? [];
    const out: string[] = [];
    for (let i = 0; i < w.length; i += 2) out.push(`${at(r.addr + i * 8)}: ${w.slice(i, i + 2).join(' ')}`);
    return out;
  }
  if (r.format === 'disasm')
    return (r.insns ?? []).map((i) =>
      `${at(i.addr)}: ${i.bytes.padEnd(24)} ${i.mnemonic} ${i.opStr}`.trimEnd(),
    );
  return hexLines(r);
}

/** Where the bytes came from, one line per page: `gva 0x7f0000000000 = gpa 0x401000 = hpa 0x401000`. */
function pieceLines(r: XpReport): string[] {
  return r.pieces.map((p) => {
    const gpa = p.gpa === null || r.space === 'gpa' ? '' : ` = gpa ${hex(p.gpa)}`;
    const hpa =
      r.space === 'hpa'
        ? ''
        : p.swapped
          ? ' = swapped out (read from the swap store)'
          : p.hpa === null
            ? ' = no host frame yet (zeros)'
            : ` = hpa ${hex(p.hpa)}`;
    return `; ${r.space} ${hex(p.addr)}${gpa}${hpa} (${p.len} bytes)`;
  });
}

export function xpText(r: XpReport): string {
  const lines = [stopLine(r.guest, r.stop), ...pieceLines(r), ...bodyLines(r)];
  if (r.unreadable) lines.push(`; stopped at ${r.space} ${hex(r.unreadable.addr)}: ${r.unreadable.reason}`);
  return lines.join('\n') + '\n';
}
