/*
 * The disassembly window around the PC, for the CPU pane: a few instructions before the PC and
 * more after it, the PC's line marked.
 *
 * Forwards is easy; backwards is not on x86-64, whose instructions are 1 to 15 bytes long, so a
 * byte before the PC may be the middle of an instruction, and no guess from the PC backwards can
 * be trusted (zeros before `lea rsp, [rip - 7]` decode as two-byte instructions that land on the
 * PC from the wrong side). So the window starts only on KNOWN boundaries: addresses where an
 * instruction is known to begin. The entry point is one, every PC the window was asked for is
 * one, and so is every instruction decoded from a known boundary up to a PC it landed on exactly.
 *
 *   pc ──► anchors: known boundaries in [pc - ANCHOR_SPAN, pc), farthest first
 *            decode from the anchor; an instruction starts at pc? ──► the lines, and what they
 *            passed is known from now on
 *            no: the next anchor that decode did not pass
 *          none left ──► the window starts at the PC
 *
 * arm64 instructions are all 4 bytes and aligned, so any aligned address would decode; it takes
 * the same rule all the same, so that neither window lists words before the code (zeros before the
 * entry point are not instructions of the guest).
 *
 * `read(addr, len)` returns the guest's bytes at a guest-virtual address or null where there is no
 * memory; it must not change machine state (the adapter reads through a dry walk). If not even
 * the PC can be read, the window says so.
 */
import type { Arch } from '../../emulator/arch.js';
import type { Disassembler, Insn } from '../../emulator/asm/disassemble.js';
import { gva } from '../../mmu/addr.js';
import type { DisasmLine } from './model.js';

export type ReadBytes = (addr: number, len: number) => Uint8Array | null;

const MAX_X86 = 15;
/** Farthest distance before the PC an x86 anchor may be. */
const ANCHOR_SPAN = 256;
/** Instructions shown before and after the PC. */
const BEFORE = 4;
const AFTER = 12;
/** Known boundaries kept at most (a running guest visits few; past this the set starts again). */
const MAX_KNOWN = 1 << 16;

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
  return { back: Math.max(ANCHOR_SPAN, before * width), end: pc + (after + 1) * width };
}

/** Where decoding may start for `pc`: the known boundaries within ANCHOR_SPAN before it, farthest first. */
function anchorsFor(known: ReadonlySet<number>, pc: number): number[] {
  const out: number[] = [];
  for (const a of known) if (a < pc && a >= pc - ANCHOR_SPAN) out.push(a);
  return out.sort((x, y) => x - y);
}

/**
 * The window at `pc`. The lines before the PC come from decoding forward from one of
 * `known` (boundaries, see the essay); the boundaries this decode proves are added to `known`.
 */
export function disasmWindow(
  dis: Disassembler,
  arch: Arch,
  read: ReadBytes,
  pc: number,
  before = BEFORE,
  after = AFTER,
  known: Set<number> = new Set(),
): DisasmLine[] {
  const { end } = span(arch, pc, before, after);
  const starts = anchorsFor(known, pc);
  const passed = new Set<number>();
  for (const start of [...starts, pc]) {
    if (start !== pc && passed.has(start)) continue;
    const insns = decodeFrom(dis, read, start, end);
    if (!insns) continue;
    const at = insns.findIndex((i) => i.addr === pc);
    if (at < 0) {
      for (const i of insns) passed.add(i.addr);
      continue;
    }
    remember(known, insns.slice(0, at + 1));
    return insns.slice(Math.max(0, at - before), at + 1 + after).map((i) => line(i, pc));
  }
  return [{ addr: gva(pc), text: '(no memory at the PC)', isPc: true }];
}

function remember(known: Set<number>, insns: readonly Insn[]): void {
  if (known.size + insns.length > MAX_KNOWN) known.clear();
  for (const i of insns) known.add(i.addr);
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && a.every((v, i) => v === b[i]);

/** Windows kept per PC: a running guest's snapshots land on the few PCs of its loop. */
const MEMO_PCS = 256;

/**
 * disasmWindow, remembered per PC while the bytes it reads stay the same and no nearer-or-farther
 * anchor appeared. Every snapshot of a running guest asks for the window at a new PC; a loop's PCs
 * come round again and again. The memo reads the whole span the window may read and reuses the
 * lines (the same array: the CPU pane is then not drawn again) only when those bytes are unchanged
 * and the farthest anchor is the one used before, so self-modifying code is shown as it is now.
 * `entry` (the guest's first PC) is the first known boundary.
 */
export function memoDisasmWindow(
  dis: Disassembler,
  arch: Arch,
  read: ReadBytes,
  entry?: number,
): (pc: number) => DisasmLine[] {
  const known = new Set<number>(entry === undefined ? [] : [entry]);
  const seen = new Map<number, { bytes: Uint8Array; anchor: number; lines: DisasmLine[] }>();
  return (pc) => {
    const { end } = span(arch, pc, BEFORE, AFTER);
    const anchor = anchorsFor(known, pc)[0] ?? pc;
    const bytes = read(anchor, end - anchor);
    const hit = seen.get(pc);
    if (bytes && hit && hit.anchor === anchor && sameBytes(hit.bytes, bytes)) return hit.lines;
    const lines = disasmWindow(dis, arch, read, pc, BEFORE, AFTER, known);
    known.add(pc);
    if (bytes) {
      if (seen.size >= MEMO_PCS) seen.clear();
      seen.set(pc, { bytes: bytes.slice(), anchor, lines });
    }
    return lines;
  };
}
