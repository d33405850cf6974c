/*
 * assemble(): guest assembly source -> bytes at a base address, with labels as symbols, and
 * errors that name the SOURCE LINE.
 *
 * Keystone only says "this input failed". To find the line, we assemble prefixes of the source:
 *
 *     prefix(k) = lines 1..k  +  a stub `name:` for every label defined after line k
 *
 * The stubs keep forward references in the prefix resolvable, so prefix(k) fails only if a line
 * in 1..k is bad. prefix(0) (stubs only) assembles; prefix(n) is the whole failing source. A
 * binary search for the smallest failing k takes about log2(n) assemblies, and line k is the
 * culprit. (A branch that is out of range only in the whole program is blamed on the last line
 * that makes the prefix fail; good enough for teaching-sized sources.)
 *
 * Symbol addresses come from one extra assembly: the source followed by `.quad L1, L2, ...`
 * for all labels. Appending data after the last line cannot move any earlier label, so the
 * tail bytes are exactly the label addresses and the head bytes are exactly the program. On
 * arm64 the literal pool of `ldr xN, =value` is emitted at the end of the input, so an
 * `.ltorg` goes first to flush it where it would have been anyway (checked: the head bytes
 * must equal the program's bytes).
 *
 * Invariants:
 *   - The returned `bytes` are what Keystone produced for the whole source at `baseAddr`.
 *   - Every symbol address lies in [baseAddr, baseAddr + bytes.length]; size = distance to the
 *     next symbol (or to the end).
 *   - Failure is an AsmError (a BadGuestError): "origin:LINE: reason: source text".
 */
import type { Arch } from '../arch.js';
import { BadGuestError, type GuestSymbol } from '../image.js';
import { runKeystone } from './keystone.js';
import { prepare, type PreparedSource } from './source.js';

export interface AssembledProgram {
  readonly arch: Arch;
  readonly baseAddr: number;
  readonly bytes: Uint8Array;
  /** Labels with their addresses, sorted by address; size = distance to the next label or end. */
  readonly symbols: readonly GuestSymbol[];
}

export interface AssembleOptions {
  /** Name used in error messages, e.g. 'guests/x86_64/hello.s'. Default '<inline>'. */
  readonly origin?: string;
}

/** An assembly error located at a source line. */
export class AsmError extends BadGuestError {
  override name = 'AsmError';
  constructor(
    readonly origin: string,
    /** 1-based source line, or 0 when no single line could be blamed. */
    readonly line: number,
    readonly reason: string,
    /** The offending source line as written (trimmed). */
    readonly text: string,
  ) {
    super(line > 0 ? `${origin}:${line}: ${reason}: ${text}` : `${origin}: ${reason}`);
  }
}

export async function assemble(
  arch: Arch,
  source: string,
  baseAddr: number,
  opts: AssembleOptions = {},
): Promise<AssembledProgram> {
  const origin = opts.origin ?? '<inline>';
  const rawLines = source.split(/\r?\n/);
  const prep = prepare(arch, source);
  if (prep.refused.length > 0) {
    const { index, reason } = prep.refused[0];
    throw new AsmError(origin, index + 1, reason, rawLines[index].trim());
  }
  const whole = prep.lines.join('\n');
  const full = await runKeystone(arch, whole, baseAddr);
  if (!full.ok) {
    const blame = await locateFailure(arch, prep, baseAddr);
    if (blame === null) throw new AsmError(origin, 0, full.reason, '');
    throw new AsmError(origin, blame.line, blame.reason, rawLines[blame.line - 1].trim());
  }
  const symbols = await labelAddresses(arch, prep, whole, baseAddr, full.bytes, origin);
  return { arch, baseAddr, bytes: full.bytes, symbols };
}

function prefixSource(prep: PreparedSource, k: number): string {
  const stubs = prep.labels.slice(k).flat();
  return [...prep.lines.slice(0, k), ...stubs.map((name) => `${name}:`)].join('\n');
}

/** Smallest k whose prefix fails (1-based line k), with Keystone's reason; null if none does. */
async function locateFailure(
  arch: Arch,
  prep: PreparedSource,
  baseAddr: number,
): Promise<{ line: number; reason: string } | null> {
  const n = prep.lines.length;
  const last = await runKeystone(arch, prefixSource(prep, n), baseAddr);
  if (last.ok) return null;
  let lo = 0; // prefix(lo) assembles (prefix(0) holds only label stubs)
  let hi = n; // prefix(hi) fails
  let reason = last.reason;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    const r = await runKeystone(arch, prefixSource(prep, mid), baseAddr);
    if (r.ok) lo = mid;
    else {
      hi = mid;
      reason = r.reason;
    }
  }
  return { line: hi, reason };
}

/** Label addresses via one extra assembly with `.quad` of every label appended (see essay). */
async function labelAddresses(
  arch: Arch,
  prep: PreparedSource,
  whole: string,
  baseAddr: number,
  program: Uint8Array,
  origin: string,
): Promise<GuestSymbol[]> {
  const names = [...new Set(prep.labels.flat())];
  if (names.length === 0) return [];
  const flushPool = arch === 'arm64' ? '\n.ltorg' : '';
  const probe = await runKeystone(arch, `${whole}${flushPool}\n.quad ${names.join(', ')}`, baseAddr);
  if (
    !probe.ok ||
    probe.bytes.length !== program.length + 8 * names.length ||
    !sameBytes(probe.bytes.subarray(0, program.length), program)
  ) {
    throw new AsmError(origin, 0, 'could not resolve label addresses', '');
  }
  const length = program.length;
  const view = new DataView(probe.bytes.buffer, probe.bytes.byteOffset + length, 8 * names.length);
  const addrs = names.map((name, i) => ({
    name,
    addr: view.getUint32(8 * i, true) + view.getUint32(8 * i + 4, true) * 0x1_0000_0000,
  }));
  addrs.sort((a, b) => a.addr - b.addr || (a.name < b.name ? -1 : 1));
  const end = baseAddr + length;
  return addrs.map((s, i) => {
    const next = addrs.slice(i + 1).find((t) => t.addr > s.addr);
    return { name: s.name, addr: s.addr, size: (next?.addr ?? end) - s.addr };
  });
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
