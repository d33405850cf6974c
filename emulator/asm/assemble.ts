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
 * Before Keystone: lines it would hang on or misread are refused (source.ts, line-check.ts), and
 * `.equ` constants are resolved and folded into plain numbers (constants.ts). Keystone sees the
 * resolved lines, one per source line. After it, every x86-64 instruction is checked so that an
 * operand without brackets is an immediate that kept its value (operand-check.ts); the lines
 * whose check needs their bytes get a marker label `__nestvm_line_N` in the label probe, which
 * gives their addresses at no extra assembly.
 *
 * Every Keystone call has a deadline (keystone.ts). When one overruns, each line is assembled
 * alone, under a shorter deadline, until one overruns as well: that line is blamed.
 *
 * Invariants:
 *   - The returned `bytes` are what Keystone produced for the whole resolved source at `baseAddr`.
 *   - Every symbol address lies in [baseAddr, baseAddr + bytes.length]; size = distance to the
 *     next symbol (or to the end).
 *   - Failure is an AsmError (a BadGuestError): "origin:LINE: reason: source text".
 *   - assemble() always settles: no Keystone call outlives its deadline.
 */
import type { Arch } from '../arch.js';
import { BadGuestError, type GuestSymbol } from '../image.js';
import { resolveConstants } from './constants.js';
import { loadDisassembler } from './disassemble.js';
import { KS_DEADLINE_MS, runKeystone, type KsResult } from './keystone.js';
import { checkDecoded, checkSource } from './operand-check.js';
import { prepare } from './source.js';
import { splitStatement, writtenOperands } from './statement.js';

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
  /** How long one Keystone call may run (default KS_DEADLINE_MS). */
  readonly deadlineMs?: number;
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

/** What every step needs to know about the source being assembled. */
interface Job {
  readonly arch: Arch;
  readonly baseAddr: number;
  readonly origin: string;
  readonly deadlineMs: number;
  readonly rawLines: readonly string[];
  /** Resolved lines (constants folded), one per source line: what Keystone sees. */
  readonly lines: readonly string[];
  readonly labels: readonly (readonly string[])[];
}

/** Longest a single line may take when the search for a hanging line assembles it alone. */
const LINE_DEADLINE_MS = 1000;

function lineError(job: Job, index: number, reason: string): AsmError {
  return new AsmError(job.origin, index + 1, reason, job.rawLines[index].trim());
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
  const base = { arch, baseAddr, origin, rawLines, deadlineMs: opts.deadlineMs ?? KS_DEADLINE_MS };
  if (prep.refused.length > 0) {
    const { index, reason } = prep.refused[0];
    throw lineError({ ...base, lines: prep.lines, labels: prep.labels }, index, reason);
  }
  const resolved = resolveConstants(arch, prep.lines);
  const job: Job = { ...base, lines: resolved.ok ? resolved.source.lines : prep.lines, labels: prep.labels };
  if (!resolved.ok) throw lineError(job, resolved.index, resolved.reason);
  const decode = arch === 'x86_64' ? linesToDecode(job, resolved.source.operandValues) : [];
  const full = await keystone(job, job.lines.join('\n'));
  if (!full.ok) {
    const blame = await locateFailure(job);
    if (blame === null) throw new AsmError(origin, 0, full.reason, '');
    throw lineError(job, blame.line - 1, blame.reason);
  }
  const probe = await labelAddresses(job, full.bytes, decode);
  if (decode.length > 0)
    await checkDecodedLines(job, full.bytes, probe.markers, resolved.source.operandValues);
  return { arch, baseAddr, bytes: full.bytes, symbols: probe.symbols };
}

/** One Keystone call; a hang becomes the AsmError of the line that hangs. */
async function keystone(job: Job, text: string): Promise<KsResult> {
  const r = await runKeystone(job.arch, text, job.baseAddr, job.deadlineMs);
  if (!r.ok && r.hung === true) throw await hangError(job, r.reason);
  return r;
}

/** Assemble each line alone until one overruns its deadline too (see the essay). */
async function hangError(job: Job, reason: string): Promise<AsmError> {
  const deadline = Math.min(job.deadlineMs, LINE_DEADLINE_MS);
  for (let i = 0; i < job.lines.length; i++) {
    if (job.lines[i].trim() === '') continue;
    const r = await runKeystone(job.arch, job.lines[i], job.baseAddr, deadline);
    if (!r.ok && r.hung === true)
      return lineError(job, i, `the assembler does not finish on this line (${r.reason})`);
  }
  return new AsmError(job.origin, 0, reason, '');
}

/** Level 1 of the operand check on every instruction line; the indices that need level 2. */
function linesToDecode(job: Job, values: readonly (readonly (bigint | null)[] | null)[]): number[] {
  const out: number[] = [];
  values.forEach((v, index) => {
    if (v === null) return;
    const s = splitStatement(job.lines[index]);
    const verdict = checkSource(s, writtenOperands(s), v);
    if (verdict === 'decode') out.push(index);
    else if (verdict !== 'ok') throw lineError(job, index, verdict.reason);
  });
  return out;
}

/** Level 2: disassemble each marked line's instruction and compare it with the source. */
async function checkDecodedLines(
  job: Job,
  bytes: Uint8Array,
  markers: ReadonlyMap<number, number>,
  values: readonly (readonly (bigint | null)[] | null)[],
): Promise<void> {
  const dis = await loadDisassembler(job.arch);
  for (const [index, addr] of markers) {
    const insn = dis(bytes.subarray(addr - job.baseAddr), addr, 1)[0];
    if (insn === undefined) continue;
    const written = writtenOperands(splitStatement(job.lines[index]));
    const why = checkDecoded(insn.opStr, written, values[index] ?? []);
    if (why !== null) throw lineError(job, index, why);
  }
}

function prefixSource(job: Job, k: number): string {
  const stubs = job.labels.slice(k).flat();
  return [...job.lines.slice(0, k), ...stubs.map((name) => `${name}:`)].join('\n');
}

/** Smallest k whose prefix fails (1-based line k), with Keystone's reason; null if none does. */
async function locateFailure(job: Job): Promise<{ line: number; reason: string } | null> {
  const n = job.lines.length;
  const last = await keystone(job, prefixSource(job, n));
  if (last.ok) return null;
  let lo = 0; // prefix(lo) assembles (prefix(0) holds only label stubs)
  let hi = n; // prefix(hi) fails
  let reason = last.reason;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    const r = await keystone(job, prefixSource(job, mid));
    if (r.ok) lo = mid;
    else {
      hi = mid;
      reason = r.reason;
    }
  }
  return { line: hi, reason };
}

const markerName = (index: number): string => `__nestvm_line_${index + 1}`;

/**
 * Label addresses via one extra assembly with `.quad` of every label appended (see essay), and
 * the addresses of the lines in `marked` (line index -> address).
 */
async function labelAddresses(
  job: Job,
  program: Uint8Array,
  marked: readonly number[],
): Promise<{ symbols: GuestSymbol[]; markers: Map<number, number> }> {
  const labels = [...new Set(job.labels.flat())];
  const names = [...labels, ...marked.map(markerName)];
  if (names.length === 0) return { symbols: [], markers: new Map() };
  const lines = [...job.lines];
  for (const i of marked) lines[i] = `${markerName(i)}: ${lines[i]}`;
  const flushPool = job.arch === 'arm64' ? '\n.ltorg' : '';
  const probe = await keystone(job, `${lines.join('\n')}${flushPool}\n.quad ${names.join(', ')}`);
  if (
    !probe.ok ||
    probe.bytes.length !== program.length + 8 * names.length ||
    !sameBytes(probe.bytes.subarray(0, program.length), program)
  ) {
    throw new AsmError(job.origin, 0, 'could not resolve label addresses', '');
  }
  const view = new DataView(probe.bytes.buffer, probe.bytes.byteOffset + program.length, 8 * names.length);
  const addrAt = (i: number): number =>
    view.getUint32(8 * i, true) + view.getUint32(8 * i + 4, true) * 0x1_0000_0000;
  const markers = new Map(marked.map((index, j) => [index, addrAt(labels.length + j)]));
  const addrs = labels.map((name, i) => ({ name, addr: addrAt(i) }));
  addrs.sort((a, b) => a.addr - b.addr || (a.name < b.name ? -1 : 1));
  const end = job.baseAddr + program.length;
  const symbols = addrs.map((s, i) => {
    const next = addrs.slice(i + 1).find((t) => t.addr > s.addr);
    return { name: s.name, addr: s.addr, size: (next?.addr ?? end) - s.addr };
  });
  return { symbols, markers };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
