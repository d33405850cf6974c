/*
 * disassemble(): guest bytes -> instructions, Intel syntax on x86-64, via Capstone.
 *
 * Capstone stops at the first byte sequence it cannot decode (and the JS glue throws if that is
 * the very first one). For display we want to walk through data and garbage too, so an
 * undecodable spot becomes one pseudo-instruction (`.byte 0xNN` on x86-64, `.inst 0xNNNNNNNN`
 * on arm64, whose instructions are fixed 4-byte words) and decoding resumes after it.
 *
 * Invariants:
 *   - Entries are contiguous: entry[i+1].addr = entry[i].addr + entry[i].bytes.length.
 *   - At most `count` entries (all of `bytes` when count is omitted); a trailing partial
 *     instruction is shown as data.
 *   - One Capstone instance per process, created on first use; handles per arch are kept.
 */
import type { Arch } from '../arch.js';
import { guardCall, instantiate, type EmscriptenInstance } from './emscripten.js';

export interface Insn {
  readonly addr: number;
  readonly bytes: Uint8Array;
  readonly mnemonic: string;
  readonly opStr: string;
}

interface CsInsn {
  address: bigint | number;
  size: number;
  bytes: number[];
  mnemonic: string;
  op_str: string;
}

interface CsDecoder {
  option(opt: number, value: number): void;
  disasm(buffer: Uint8Array | number[], addr: number, max?: number): CsInsn[];
}

interface CsModule {
  ARCH_X86: number;
  ARCH_ARM64: number;
  MODE_64: number;
  MODE_ARM: number;
  Capstone: new (arch: number, mode: number) => CsDecoder;
}

/** A synchronous disassembler for one architecture (for the TUI, after one await). */
export type Disassembler = (bytes: Uint8Array, addr: number, count?: number) => Insn[];

let instance: Promise<EmscriptenInstance<CsModule>> | null = null;
const decoders = new Map<Arch, CsDecoder>();

async function capstone(): Promise<EmscriptenInstance<CsModule>> {
  instance ??= instantiate<CsModule>('@alexaltea/capstone-js', 'capstone.wasm');
  return instance;
}

function decoderFor(cs: CsModule, arch: Arch): CsDecoder {
  let d = decoders.get(arch);
  if (d === undefined) {
    // The default x86 syntax of this build is Intel (as in Capstone itself); we leave it.
    d =
      arch === 'x86_64'
        ? new cs.Capstone(cs.ARCH_X86, cs.MODE_64)
        : new cs.Capstone(cs.ARCH_ARM64, cs.MODE_ARM);
    decoders.set(arch, d);
  }
  return d;
}

/** Get a synchronous disassembler for `arch`. */
export async function loadDisassembler(arch: Arch): Promise<Disassembler> {
  const cs = (await capstone()).mod;
  const d = decoderFor(cs, arch);
  return (bytes, addr, count) => decodeAll(arch, d, bytes, addr, count ?? Infinity);
}

export async function disassemble(
  arch: Arch,
  bytes: Uint8Array,
  addr: number,
  count?: number,
): Promise<Insn[]> {
  return (await loadDisassembler(arch))(bytes, addr, count);
}

function decodeAll(arch: Arch, d: CsDecoder, bytes: Uint8Array, addr: number, count: number): Insn[] {
  const out: Insn[] = [];
  let off = 0;
  while (off < bytes.length && out.length < count) {
    const want = Number.isFinite(count) ? count - out.length : 0; // 0: as many as decode
    const r = guardCall(() => d.disasm(bytes.subarray(off), addr + off, want));
    const got = r.ok ? r.value : [];
    for (const i of got) {
      out.push({
        addr: addr + off,
        bytes: bytes.slice(off, off + i.size),
        mnemonic: i.mnemonic,
        opStr: i.op_str,
      });
      off += i.size;
    }
    if (got.length === 0) {
      const data = dataEntry(arch, bytes, off, addr);
      out.push(data);
      off += data.bytes.length;
    }
  }
  return out;
}

/** The undecodable unit at `off`: one byte on x86-64, one 4-byte word (or what is left) on arm64. */
function dataEntry(arch: Arch, bytes: Uint8Array, off: number, base: number): Insn {
  const unit = arch === 'arm64' && bytes.length - off >= 4 ? 4 : 1;
  const b = bytes.slice(off, off + unit);
  if (unit === 4) {
    const word = (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
    return {
      addr: base + off,
      bytes: b,
      mnemonic: '.inst',
      opStr: `0x${word.toString(16).padStart(8, '0')}`,
    };
  }
  return { addr: base + off, bytes: b, mnemonic: '.byte', opStr: `0x${b[0].toString(16).padStart(2, '0')}` };
}
