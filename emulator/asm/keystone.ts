/*
 * The Keystone driver: one whole-input assembly, as a value.
 *
 * Keystone assembles a complete text at a base address and answers "ok + bytes" or "failed +
 * errno"; it never says which line failed (assemble.ts finds that). This file hides three
 * quirks of the keystone-js 0.9.2 build, found by experiment on this machine:
 *
 *   - Syntax: we never call ks_option(SYNTAX). The build's default x86 syntax is Intel with
 *     decimal numbers; passing the package's own OPT_SYNTAX_INTEL constant turns on a radix-16
 *     mode in which `mov ecx, 4096` means 0x4096.
 *   - Silent failure: some errors (an unexpected token in a directive) return "ok" with no
 *     bytes and only an "error: ..." line on stderr. We capture the glue's output and treat any
 *     "error:" / "LLVM ERROR:" line as a failure.
 *   - Crashes: LLVM may exit() or the wasm may trap (emscripten.ts). The instance is then
 *     discarded and a fresh one made for the next call.
 *   - Hangs: a few inputs make it loop for ever (a line of just `:`, an unterminated string).
 *     Every call runs under a deadline (`KS_DEADLINE_MS` unless the caller gives one); a call
 *     that overruns is terminated, answers `hung: true`, and its instance is discarded too.
 *
 * Invariant: `runKeystone` never throws and always returns, for any input text; every outcome
 * is a KsResult.
 */
import type { Arch } from '../arch.js';
import { drainDiagnostics, guardCall, instantiate, type EmscriptenInstance } from './emscripten.js';

interface KsAsmResult {
  mc: Uint8Array;
  count: number;
  failed: boolean;
}

interface KsEncoder {
  asm(text: string, address: number): KsAsmResult;
  errno(): number;
  close(): void;
}

interface KsModule {
  ARCH_X86: number;
  ARCH_ARM64: number;
  MODE_64: number;
  MODE_LITTLE_ENDIAN: number;
  Keystone: new (arch: number, mode: number) => KsEncoder;
  strerror(code: number): string;
}

export type KsResult = { ok: true; bytes: Uint8Array } | { ok: false; reason: string; hung?: true };

/**
 * How long one Keystone call may run. Teaching-sized sources assemble in milliseconds; this
 * leaves room for a loaded machine and large files, and bounds a hang.
 */
export const KS_DEADLINE_MS = 3000;

interface Live {
  readonly inst: EmscriptenInstance<KsModule>;
  readonly encoders: Partial<Record<Arch, KsEncoder>>;
}

let live: Promise<Live> | null = null;

async function current(): Promise<Live> {
  if (live === null) {
    live = instantiate<KsModule>('@alexaltea/keystone-js', 'keystone.wasm').then((inst) => ({
      inst,
      encoders: {},
    }));
  }
  return live;
}

function encoderFor(l: Live, arch: Arch): KsEncoder {
  let enc = l.encoders[arch];
  if (enc === undefined) {
    const ks = l.inst.mod;
    enc =
      arch === 'x86_64'
        ? new ks.Keystone(ks.ARCH_X86, ks.MODE_64)
        : new ks.Keystone(ks.ARCH_ARM64, ks.MODE_LITTLE_ENDIAN);
    l.encoders[arch] = enc;
  }
  return enc;
}

/** Assemble a whole text at `address` within `deadlineMs`. Never throws on bad input. */
export async function runKeystone(
  arch: Arch,
  text: string,
  address: number,
  deadlineMs: number = KS_DEADLINE_MS,
): Promise<KsResult> {
  const l = await current();
  drainDiagnostics(l.inst);
  const enc = encoderFor(l, arch);
  const r = guardCall(() => enc.asm(text, address), deadlineMs);
  const said = drainDiagnostics(l.inst);
  if (!r.ok) {
    live = null; // the instance's heap is suspect after an exit(), a trap or a termination
    if (r.timedOut)
      return { ok: false, reason: `keystone did not finish within ${deadlineMs} ms`, hung: true };
    return { ok: false, reason: diagnosticReason(said) ?? `keystone aborted (${r.crash})` };
  }
  const complaint = diagnosticReason(said);
  if (r.value.failed) return { ok: false, reason: complaint ?? errnoReason(l.inst.mod, enc.errno()) };
  if (complaint !== null) return { ok: false, reason: complaint };
  return { ok: true, bytes: r.value.mc };
}

/** "error: unexpected token in '.section' directive" -> "unexpected token in '.section' directive" */
function diagnosticReason(lines: string[]): string | null {
  for (const line of lines) {
    const m = /^(?:.*?\berror:|LLVM ERROR:)\s*(.*)$/.exec(line.trim());
    if (m) return m[1];
  }
  return null;
}

// Keystone errno values with a clearer wording than ks_strerror's.
const WORDING: Record<number, string> = {
  144: 'undefined symbol',
  143: 'symbol defined twice',
  162: 'invalid label',
  161: 'value out of range for this instruction (invalid fixup)',
};

/** "Invalid operand (KS_ERR_ASM_INVALIDOPERAND)" -> "invalid operand" */
function errnoReason(ks: KsModule, code: number): string {
  const known = WORDING[code];
  if (known !== undefined) return known;
  const text = ks.strerror(code).replace(/\s*\(KS_ERR_[A-Z0-9_]+\)\s*$/, '');
  if (text === 'Unknown error')
    return 'cannot encode this instruction (operand out of range or unsupported form)';
  return text.charAt(0).toLowerCase() + text.slice(1);
}
