/*
 * The registers gdb sees, per architecture, in the order of the target description (target-xml.ts):
 * that order is gdb's register numbering, for `p`/`P`, and the layout of the `g`/`G` block, each
 * register little-endian, `bits / 8` bytes, one after another.
 *
 *   x86-64   feature org.gnu.gdb.i386.core: rax..r15, rip, eflags, the six segment selectors, then
 *            the x87 stack and its control words (gdb's amd64 model insists on finding them in the
 *            core feature; nestvm's guests use no x87, so they read as zero and writes are dropped)
 *            feature org.nestvm.x86.paging: cr0, cr2, cr3, cr4, efer
 *   AArch64  feature org.gnu.gdb.aarch64.core: x0..x30, sp, pc, cpsr (PSTATE)
 *            feature org.nestvm.aarch64.paging: sctlr_el1, tcr_el1, ttbr0_el1, ttbr1_el1, mair_el1,
 *            esr_el1, far_el1, elr_el1, vbar_el1, spsr_el1
 *
 * `uc` names the engine's register (emulator/unicorn/registers.ts) behind each one; null means
 * "reads as zero". The paging registers are in the general group, so `info registers` shows
 * them beside rip or pc: they are what a student debugging page tables looks at first.
 */
import type { Arch } from '../../emulator/arch.js';

export interface GdbRegister {
  readonly name: string;
  readonly bits: 32 | 64 | 80;
  /** The target description's type (gdb's predefined types). */
  readonly type: string;
  readonly feature: string;
  /** The engine's register, or null for one that reads as zero. */
  readonly uc: string | null;
}

const X86_CORE = 'org.gnu.gdb.i386.core';
const X86_PAGING = 'org.nestvm.x86.paging';
const A64_CORE = 'org.gnu.gdb.aarch64.core';
const A64_PAGING = 'org.nestvm.aarch64.paging';

const reg = (feature: string, name: string, bits: 32 | 64 | 80, type: string, uc: string | null = name) => ({
  name,
  bits,
  type,
  feature,
  uc,
});

const X86_GPRS = ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'rsp', ...range(8, 15, 'r')];
const X87_CONTROL = ['fctrl', 'fstat', 'ftag', 'fiseg', 'fioff', 'foseg', 'fooff', 'fop'];

function range(from: number, to: number, prefix: string): string[] {
  return Array.from({ length: to - from + 1 }, (_, i) => `${prefix}${from + i}`);
}

const X86: readonly GdbRegister[] = [
  ...X86_GPRS.map((n) => reg(X86_CORE, n, 64, n === 'rbp' || n === 'rsp' ? 'data_ptr' : 'int64')),
  reg(X86_CORE, 'rip', 64, 'code_ptr'),
  reg(X86_CORE, 'eflags', 32, 'int32', 'rflags'),
  ...['cs', 'ss', 'ds', 'es', 'fs', 'gs'].map((n) => reg(X86_CORE, n, 32, 'int32')),
  ...range(0, 7, 'st').map((n) => reg(X86_CORE, n, 80, 'i387_ext', null)),
  ...X87_CONTROL.map((n) => reg(X86_CORE, n, 32, 'int', null)),
  ...['cr0', 'cr2', 'cr3', 'cr4', 'efer'].map((n) => reg(X86_PAGING, n, 64, 'int64')),
];

const ARM64: readonly GdbRegister[] = [
  ...range(0, 30, 'x').map((n) => reg(A64_CORE, n, 64, 'int')),
  reg(A64_CORE, 'sp', 64, 'data_ptr'),
  reg(A64_CORE, 'pc', 64, 'code_ptr'),
  reg(A64_CORE, 'cpsr', 32, 'int', 'pstate'),
  ...[
    'sctlr_el1',
    'tcr_el1',
    'ttbr0_el1',
    'ttbr1_el1',
    'mair_el1',
    'esr_el1',
    'far_el1',
    'elr_el1',
    'vbar_el1',
    'spsr_el1',
  ].map((n) => reg(A64_PAGING, n, 64, 'int64')),
];

export const GDB_REGISTERS: Record<Arch, readonly GdbRegister[]> = { x86_64: X86, arm64: ARM64 };

/** Where the program counter is in gdb's numbering (for stop replies). */
export const gdbPcIndex = (arch: Arch): number =>
  GDB_REGISTERS[arch].findIndex((r) => r.name === (arch === 'x86_64' ? 'rip' : 'pc'));

/** A register's value as little-endian hex of its width. */
export function regHex(value: bigint, bits: number): string {
  let v = BigInt.asUintN(bits, value);
  let out = '';
  for (let i = 0; i < bits / 8; i++) {
    out += Number(v & 0xffn)
      .toString(16)
      .padStart(2, '0');
    v >>= 8n;
  }
  return out;
}

/** Little-endian hex of exactly `bits / 8` bytes -> the value; null when it is not that. */
export function parseRegHex(text: string, bits: number): bigint | null {
  if (text.length !== bits / 4 || !/^[0-9a-fA-F]*$/.test(text)) return null;
  let v = 0n;
  for (let i = text.length - 2; i >= 0; i -= 2) v = (v << 8n) | BigInt(parseInt(text.slice(i, i + 2), 16));
  return v;
}
