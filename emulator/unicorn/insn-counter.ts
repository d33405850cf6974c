/*
 * Exact instruction counts from Unicorn's own counter.
 *
 * uc_emu_start(count = N) installs a C code hook that increments a size_t `emu_counter` inside the
 * engine's private struct before each instruction, and stops the run once the counter exceeds N.
 * So after a run the counter holds:
 *
 *     N + 1          the run used up its budget: exactly N instructions executed
 *     k  (k <= N)    the run ended early after k instructions had begun: a hook stopped it
 *                    (port exit, PSCI, semihosting), `hlt` halted it, or an access faulted
 *                    (the faulting instruction began, so it is counted)
 *
 * The API does not expose the counter, and the early-stop case has no other exact answer (a JS
 * hook per instruction would cost about a microsecond each; `hlt` ends a run without calling any
 * hook at all). So this module finds the counter in the engine struct by calibration, once per
 * library build (the answer is kept between processes: counter-offset-cache.ts): on a scratch
 * engine it runs a two-instruction loop with three different budgets N and looks for the one
 * 8-byte-aligned slot that reads N + 1 every time, followed by a slot reading N (the saved budget
 * `emu_count` sits right after the counter). Exactly one slot must match, or
 * calibration fails and the binding falls back to counting with a JS code hook (exact, slow).
 *
 * Trust but verify: every full run (counter = N + 1) re-checks the slot, so a layout that drifts
 * is caught by an InvariantError, never silently miscounted. Reading the slot is a typed-array
 * load through a koffi view of engine memory: no call, no allocation.
 *
 * Invariant: a view is created per engine and never read after uc_close frees the struct (the
 * binding refuses every call once closed).
 */
import koffi from 'koffi';
import type { LoadedLibrary } from './library.js';
import { PACKAGE_ROOT } from '../package-root.js';
import { UC_ARCH_X86, UC_MODE_64 } from './constants.js';
import { keptCounterOffset } from './counter-offset-cache.js';
import { setupCacheDir } from './library-cache.js';

/* How far into the engine struct to search: the counter sits after the hook lists, ~1.3 KiB in 2.1. */
const SCAN_BYTES = 4096;
const BUDGETS = [1237, 4321, 77];

/* `inc rax; jmp -5` (x86-64): any two-instruction loop will do. */
const LOOP = Uint8Array.of(0x48, 0xff, 0xc0, 0xeb, 0xfb);
const LOOP_AT = 0x1000;

let calibrated: number | null | undefined;

/** Byte offset of emu_counter in the engine struct, or null when calibration found no unique slot. */
export function counterOffset(lib: LoadedLibrary): number | null {
  if (calibrated === undefined)
    calibrated = keptCounterOffset(lib.path, setupCacheDir(process.env, PACKAGE_ROOT), () => calibrate(lib));
  return calibrated;
}

function calibrate(lib: LoadedLibrary): number | null {
  const { api } = lib;
  const out: unknown[] = [null];
  if (api.uc_open(UC_ARCH_X86, UC_MODE_64, out) !== 0) return null;
  const uc = out[0];
  const ram = new ArrayBuffer(0x10000);
  try {
    new Uint8Array(ram).set(LOOP, LOOP_AT);
    if (api.uc_mem_map_ptr(uc, 0, ram.byteLength, 7, ram) !== 0) return null;
    const slots = new BigUint64Array(koffi.view(uc, SCAN_BYTES));
    const hits = new Map<number, number>();
    for (const n of BUDGETS) {
      if (api.uc_emu_start(uc, LOOP_AT, 0, 0, n) !== 0) return null;
      for (let i = 0; i + 1 < slots.length; i++) {
        if (slots[i] === BigInt(n + 1) && slots[i + 1] === BigInt(n)) hits.set(i, (hits.get(i) ?? 0) + 1);
      }
    }
    const always = [...hits].filter(([, c]) => c === BUDGETS.length).map(([i]) => i * 8);
    return always.length === 1 ? always[0] : null;
  } finally {
    api.uc_close(uc);
  }
}

/** A live reader of one engine's counter. */
export class InsnCounter {
  /* [0] emu_counter, [1] emu_count (the budget of the last run) */
  private readonly slots: BigUint64Array;
  /* The same counter as 32-bit words (little-endian: [0] is its low half), read on the fill path. */
  private readonly words: Uint32Array;
  constructor(uc: unknown, offset: number) {
    const view = koffi.view(uc, offset + 16);
    this.slots = new BigUint64Array(view, offset, 2);
    this.words = new Uint32Array(view, offset, 4);
  }
  /** The raw counter (see the essay for what it means after a run). */
  read(): number {
    return Number(this.slots[0]);
  }
  /** The low 32 bits of the counter, without a BigInt (hosts are little-endian: x86-64, arm64). */
  readLow(): number {
    return this.words[0];
  }
  /** The budget the engine recorded for the last run: must equal what was passed. */
  budget(): number {
    return Number(this.slots[1]);
  }
}
