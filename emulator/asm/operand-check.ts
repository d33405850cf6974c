/*
 * The x86-64 operand check: what the source writes without brackets must come out of Keystone
 * as an immediate (or a register), and an immediate must keep its value.
 *
 * Keystone truncates without a word (`mov al, 0x1000` is `mov al, 0`, `push 0xffffffff` is
 * `push 0xffff`) and reads `number + symbol` as a memory operand. Two levels catch this:
 *
 *   1. At the source (no decoder needed, so the common path stays fast): when nestvm knows an
 *      operand's value (constants.ts) and the instruction says the width (a register, a
 *      `byte/word/dword/qword ptr`, or a mnemonic with a fixed immediate: push, int, in, out,
 *      ret, enter, shifts), the value must fit that width.
 *   2. At the bytes (Capstone, loaded only when some line needs it): an instruction whose width
 *      the source leaves open, or with an operand outside brackets that nestvm cannot evaluate
 *      and that is not one bare name (`0x200000 + msg`), is disassembled. An operand written
 *      without brackets must not come out in brackets, and a known value v must survive as
 *      the decoded number n: with w the smallest of 8, 16, 32, 64 bits that holds n,
 *      v = n modulo 2^w and -2^(w-1) <= v < 2^w. (A faithful encoding of v in W bits passes:
 *      n = v when v >= 0, else n >= 2^(W-1) so w = W. A truncation fails one of the two.)
 *
 * Invariant: a check answers 'ok', a one-line reason, or (level 1 only) 'decode'; it never
 * throws for any line.
 */
import { literal } from './const-expr.js';
import { splitStatement, writtenOperands, type Statement } from './statement.js';

export type SourceVerdict = 'ok' | 'decode' | { reason: string };

const REG_BITS = new Map<string, number>();
for (const [bits, names] of [
  [64, 'rax rbx rcx rdx rsi rdi rbp rsp r8 r9 r10 r11 r12 r13 r14 r15'],
  [32, 'eax ebx ecx edx esi edi ebp esp r8d r9d r10d r11d r12d r13d r14d r15d'],
  [16, 'ax bx cx dx si di bp sp r8w r9w r10w r11w r12w r13w r14w r15w'],
  [8, 'al bl cl dl ah bh ch dh sil dil bpl spl r8b r9b r10b r11b r12b r13b r14b r15b'],
] as const) {
  for (const n of names.split(' ')) REG_BITS.set(n, bits);
}
const PTR_BITS: Record<string, number> = { byte: 8, word: 16, dword: 32, qword: 64 };
const SEGMENT_OR_CONTROL = /^(?:[c-gs]s|cr\d+|dr\d+|[xyz]mm\d+|st(?:\(\d\))?|mm\d)$/i;

function isRegister(op: string): boolean {
  return REG_BITS.has(op.toLowerCase()) || SEGMENT_OR_CONTROL.test(op);
}

/** Width of a destination operand as the source writes it, or null when it does not say. */
function widthOf(op: string): number | null {
  const reg = REG_BITS.get(op.toLowerCase());
  if (reg !== undefined) return reg;
  const ptr = /^(byte|word|dword|qword)\s+ptr\b/i.exec(op);
  return ptr ? PTR_BITS[ptr[1].toLowerCase()] : null;
}

/** [low, high) of the values an immediate of this instruction may take, or null if unknown. */
function immediateRange(mnemonic: string, operands: string[], k: number): [bigint, bigint] | null {
  const bits = (n: number): [bigint, bigint] => [-(1n << BigInt(n - 1)), 1n << BigInt(n)];
  const m = mnemonic.toLowerCase();
  if (m === 'push') return [-(1n << 31n), 1n << 31n];
  if (m === 'int' || m === 'in' || m === 'out') return [0n, 256n];
  if (m === 'ret' || m === 'retf' || m === 'retn') return [0n, 1n << 16n];
  if (m === 'enter') return k === 0 ? [0n, 1n << 16n] : [0n, 256n];
  if (/^(?:sh[lr]|sa[lr]|ro[lr]|rc[lr]|bt[src]?|sh[lr]d)$/.test(m) && k > 0) return [0n, 256n];
  const w = k > 0 ? widthOf(operands[0]) : null;
  if (w === null) return null;
  if (w < 64) return bits(w);
  if (m === 'mov' || m === 'movabs') return [-(1n << 63n), 1n << 64n];
  return [-(1n << 31n), 1n << 31n];
}

const BARE_NAME = /^[A-Za-z_.$][\w.$]*$/;
const BRANCH = /^(?:j[a-z]+|call|loop[a-z]*)$/i;

/** Level 1 for one instruction statement; `values` are its operands' known values. */
export function checkSource(
  s: Statement,
  written: string[],
  values: readonly (bigint | null)[],
): SourceVerdict {
  const mnemonic = s.head.split(/\s+/).pop() ?? '';
  let verdict: SourceVerdict = 'ok';
  for (let k = 0; k < written.length; k++) {
    const op = written[k];
    if (op.includes('[') || isRegister(op)) continue;
    const v = values[k] ?? null;
    if (v === null) {
      if (!BARE_NAME.test(op) && !BRANCH.test(mnemonic)) verdict = 'decode';
      continue;
    }
    if (BRANCH.test(mnemonic)) continue;
    const range = immediateRange(mnemonic, written, k);
    const signed = v >= 1n << 63n ? v - (1n << 64n) : v; // 0xffff...f0 is -16 to a 64-bit operand
    if (range === null) verdict = 'decode';
    else if (signed < range[0] || signed >= range[1]) return { reason: doesNotFit(v, written, k, mnemonic) };
  }
  return verdict;
}

function doesNotFit(v: bigint, written: string[], k: number, mnemonic: string): string {
  const dest = k > 0 ? widthOf(written[0]) : null;
  const where =
    dest !== null ? `${dest} bits (the operand is ${written[0]})` : `the immediate of ${mnemonic}`;
  return `immediate ${literal(v)} does not fit in ${where}`;
}

/** A decoded operand's number: unsigned 64-bit, with capstone's `-1` read as 2^64 - 1. */
function decodedNumber(text: string): bigint | null {
  const m = /^(-?)(0x[0-9a-f]+|[0-9]+)$/i.exec(text.trim());
  if (m === null) return null;
  const n = BigInt(m[2]);
  return m[1] === '-' ? (1n << 64n) - n : n;
}

/** Does the known value `v` survive as the decoded immediate `n`? (see the essay) */
function keptValue(v: bigint, n: bigint): boolean {
  let w = 8n;
  while (w < 64n && n >= 1n << w) w *= 2n;
  const mask = (1n << w) - 1n;
  return (v & mask) === n && v >= -(1n << (w - 1n)) && v <= mask;
}

/** Level 2 for one instruction, from its decoded operand text (see the essay). */
export function checkDecoded(
  decoded: string,
  written: string[],
  values: readonly (bigint | null)[],
): string | null {
  const ops = writtenOperands(splitStatement(`x ${decoded}`));
  if (ops.length < written.length) return null;
  const shift = ops.length - written.length;
  for (let k = 0; k < written.length; k++) {
    const op = written[k];
    if (op.includes('[') || isRegister(op)) continue;
    const got = ops[k + shift];
    if (got.includes('['))
      return `'${op}' has no brackets but Keystone made it a memory operand (${got}); write [${op}] for memory, or use a constant`;
    const v = values[k] ?? null;
    const n = decodedNumber(got);
    if (v !== null && n !== null && !keptValue(v, n))
      return `immediate ${literal(v)} does not fit in this instruction (Keystone encoded ${got})`;
  }
  return null;
}
