/*
 * The disassembly window around the PC, for the CPU pane: a few instructions before the PC and
 * more after it, the PC's line marked.
 *
 * Forwards is easy; backwards is not on x86-64, whose instructions are 1 to 15 bytes long, so a
 * byte before the PC may be the middle of an instruction. The usual debugger answer is used: try
 * decoding from some distance before the PC, largest distance first, and accept the first start
 * whose instructions land exactly on the PC (x86 code re-synchronises within a few instructions,
 * so the lines just before the PC are right even if the first one decoded was not). arm64
 * instructions are all 4 bytes, so its window simply starts 4 * before bytes back.
 *
 * `read(addr, len)` returns the guest's bytes at a guest-virtual address or null where there is no
 * memory; it must not change machine state (the adapter reads through a dry walk). If nothing
 * before the PC can be read, the window starts at the PC; if not even the PC can, it says so.
 */
import type { Arch } from '../../emulator/arch.js';
import type { Disassembler, Insn } from '../../emulator/asm/disassemble.js';
import { gva } from '../../mmu/addr.js';
import type { DisasmLine } from './model.js';

export type ReadBytes = (addr: number, len: number) => Uint8Array | null;

const MAX_X86 = 15;
/** Farthest distance before the PC the x86 search starts from. */
const X86_BACK = 48;
/** Instructions shown before and after the PC. */
const BEFORE = 4;
const AFTER = 12;

const line = (i: Insn, pc: number): DisasmLine => ({
  addr: gva(i.addr),
  text: `${i.mnemonic}${i.opStr ? ' ' + i.opStr : ''}`,
  bytes: Array.from(i.bytes, (b) => b.toString(16).padStart(2, '0')).join(' '),
  isPc: i.addr === pc,
});

/** Instructions from `start`, or null when the bytes cannot be read. */
function decodeFrom(dis: Disassembler, read: ReadBytes, start: number, end: number): Insn[] | null {
  if (start < 0) return null;
  const bytes = read(start, end - start);
  return bytes ? dis(bytes, start) : null;
}

/** Farthest distance before the PC the window reads, and the end of what it reads. */
function span(arch: Arch, pc: number, before: number, after: number): { back: number; end: number } {
  const width = arch === 'x86_64' ? MAX_X86 : 4;
  return { back: arch === 'x86_64' ? X86_BACK : before * 4, end: pc + (after + 1) * width };
}

export function disasmWindow(
  dis: Disassembler,
  arch: Arch,
  read: ReadBytes,
  pc: number,
  before = BEFORE,
  after = AFTER,
): DisasmLine[] {
  const { back: farthest, end } = span(arch, pc, before, after);
  const tries = arch === 'x86_64' ? [...Array(farthest).keys()].map((k) => farthest - k) : [farthest];
  for (const back of [...tries, 0]) {
    const insns = decodeFrom(dis, read, pc - back, end);
    if (!insns) continue;
    const at = insns.findIndex((i) => i.addr === pc);
    if (at < 0) continue;
    return insns.slice(Math.max(0, at - before), at + 1 + after).map((i) => line(i, pc));
  }
  return [{ addr: gva(pc), text: '(no memory at the PC)', isPc: true }];
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && a.every((v, i) => v === b[i]);

/** Windows kept per PC: a running guest's snapshots land on the few PCs of its loop. */
const MEMO_PCS = 256;

/**
 * disasmWindow, remembered per PC while the bytes it reads stay the same. Every snapshot of a
 * running guest asks for the window at a new PC, and on x86-64 finding the boundaries before the
 * PC can take several decodes; a loop's PCs come round again and again. The memo reads the whole
 * span the window may read and reuses the lines (the same array: the CPU pane is then not drawn
 * again) only when those bytes are unchanged, so self-modifying code is shown as it is now.
 */
export function memoDisasmWindow(
  dis: Disassembler,
  arch: Arch,
  read: ReadBytes,
): (pc: number) => DisasmLine[] {
  const seen = new Map<number, { bytes: Uint8Array; lines: DisasmLine[] }>();
  return (pc) => {
    const { back, end } = span(arch, pc, BEFORE, AFTER);
    const bytes = pc - back >= 0 ? read(pc - back, end - (pc - back)) : null;
    const hit = seen.get(pc);
    if (bytes && hit && sameBytes(hit.bytes, bytes)) return hit.lines;
    const lines = disasmWindow(dis, arch, read, pc);
    if (bytes) {
      if (seen.size >= MEMO_PCS) seen.clear();
      seen.set(pc, { bytes: bytes.slice(), lines });
    }
    return lines;
  };
}
