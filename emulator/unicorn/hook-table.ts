/*
 * The hooks of one Unicorn engine: the trampolines that carry its C callbacks into JS, and the
 * table of hooks added to it.
 *
 * Invariants:
 *
 *  - No exception crosses into C. Every JS callback runs inside a trampoline that catches what it
 *    throws, records the first such error, asks the engine to stop (uc_emu_stop) and returns a
 *    harmless value (fill: no translation; IN/MMIO read: 0). The run that was going on then hands
 *    the error on (takeError()), and Unicorn.emuStart() rethrows it as a HookError. A buggy hook
 *    therefore ends the run with an exception, never with a crashed process.
 *
 *  - Trampoline lifetime. Each trampoline stays registered with koffi for as long as Unicorn may
 *    call it: a hook's until hookDel() of it or release() at close, an MMIO region's until
 *    memory-map.ts unmaps it. A hook whose uc_hook_add fails is unregistered at once.
 *
 *  - 64-bit callback arguments. koffi hands uint64_t arguments of 2^63 or more to JS as negative
 *    numbers (and may hand BigInts); u64() folds both back to a non-negative number. Numbers are
 *    exact below 2^53; 4 KiB-aligned addresses stay exact all the way to 2^64, but Unicorn fills
 *    arm64 in 1 KiB pieces, and such an address at 2^63 or above may round. The TLB-fill hook
 *    therefore also gets koffi's own value, which is exact, for reports (exactU64).
 *
 *  - One TLB entry object per engine is reused for every fill, so a fill allocates nothing. Its two
 *    fields go into the engine's uc_tlb_entry as two scalar writes (paddr at 0, perms at
 *    TLB_PERMS_AT), named by type string: measured on koffi 3.3, that costs about a third of one
 *    koffi.encode of the whole struct, which was the largest share of a bare fill callback.
 */
import koffi from 'koffi';
import {
  UC_HOOK_BLOCK,
  UC_HOOK_CODE,
  UC_HOOK_INSN,
  UC_HOOK_INSN_INVALID,
  UC_HOOK_INTR,
  UC_HOOK_MEM_READ,
  UC_HOOK_MEM_UNMAPPED,
  UC_HOOK_MEM_WRITE,
  UC_HOOK_TLB_FILL,
  UC_X86_INS_IN,
  UC_X86_INS_OUT,
  UC_X86_INS_CPUID,
} from './constants.js';
import type { EngineAccess } from './engine-access.js';
import { HookError } from './errors.js';
import { PROTOS, TLB_PERMS_AT, type ProtoName } from './library.js';

const TWO_64 = 2 ** 64;

/** A uint64_t callback argument as a non-negative number (see the essay). */
export function u64(v: number | bigint): number {
  if (typeof v === 'bigint') return Number(BigInt.asUintN(64, v));
  return v < 0 ? v + TWO_64 : v;
}

/** A uint64_t callback argument at full width (for reports, never on the hit path). */
export function exactU64(v: number | bigint): bigint {
  return BigInt.asUintN(64, BigInt(v));
}

/** What a TLB-fill callback fills in when it returns true. */
export interface TlbEntryOut {
  paddr: number;
  perms: number;
}

export type TlbFillHook = (
  vaddr: number,
  memType: number,
  entry: TlbEntryOut,
  /** koffi's value of vaddr, exact where `vaddr` may round (see exactU64). */
  raw: number | bigint,
) => boolean;
export type IntrHook = (intno: number) => void;
export type InHook = (port: number, size: number) => number;
export type OutHook = (port: number, size: number, value: number) => void;
export type CodeHook = (address: number, size: number) => void;
export type MemEventHook = (memType: number, address: number, size: number, value: number) => boolean;
export type InsnInvalidHook = () => boolean;
/** x86 CPUID: true when the hook set the results itself (the engine's own CPUID is skipped). */
export type CpuidHook = () => boolean;

/** A hook handle returned by the hook* methods, for hookDel(). */
export type HookHandle = number & { readonly __hook: true };

export class HookTable {
  private readonly hooks = new Map<number, bigint>();
  private pendingError: HookError | null = null;
  private readonly entryOut: TlbEntryOut = { paddr: 0, perms: 0 };

  constructor(private readonly engine: EngineAccess) {}

  /** Register a trampoline that never lets an exception reach C (see the essay). */
  trampoline(proto: ProtoName, what: string, onError: unknown, fn: (...args: never[]) => unknown): bigint {
    const trampoline = (...args: never[]): unknown => {
      try {
        return fn(...args);
      } catch (e) {
        this.pendingError ??= new HookError(what, e);
        this.engine.stopIfOpen();
        return onError;
      }
    };
    return koffi.register(trampoline, koffi.pointer(PROTOS[proto]));
  }

  /** Forget any error a hook threw before (a run is starting). */
  clearError(): void {
    this.pendingError = null;
  }

  /** The first error a hook threw since clearError(), handed over once. */
  takeError(): HookError | null {
    const pending = this.pendingError;
    this.pendingError = null;
    return pending;
  }

  private add(type: number, cb: bigint, begin: number, end: number, insn?: number): HookHandle {
    const uc = this.engine.live();
    const api = this.engine.api;
    const hh: number[] = [0];
    const err =
      insn === undefined
        ? api.uc_hook_add(uc, hh, type, cb, null, begin, end)
        : api.uc_hook_add(uc, hh, type, cb, null, begin, end, 'int', insn);
    if (err !== 0) {
      koffi.unregister(cb);
      this.engine.check('uc_hook_add', err);
    }
    this.hooks.set(hh[0], cb);
    return hh[0] as HookHandle;
  }

  /** UC_HOOK_TLB_FILL (see Unicorn.hookTlbFill). */
  tlbFill(fill: TlbFillHook): HookHandle {
    const entry = this.entryOut;
    const cb = this.trampoline(
      'tlbFill',
      'tlb fill',
      false,
      (_uc: unknown, vaddr: number | bigint, type: number, result: unknown) => {
        if (!fill(u64(vaddr), type, entry, vaddr)) return false;
        // koffi passes the uc_tlb_entry pointer as a raw address: write the result into it.
        koffi.encode(result, 'uint64_t', entry.paddr);
        koffi.encode(result, TLB_PERMS_AT, 'int', entry.perms);
        return true;
      },
    );
    return this.add(UC_HOOK_TLB_FILL, cb, 1, 0);
  }

  intr(fn: IntrHook): HookHandle {
    const cb = this.trampoline('intr', 'interrupt', undefined, (_uc: unknown, intno: number) => fn(intno));
    return this.add(UC_HOOK_INTR, cb, 1, 0);
  }

  portIn(fn: InHook): HookHandle {
    const cb = this.trampoline(
      'insnIn',
      'port in',
      0,
      (_uc: unknown, port: number, size: number) => fn(port, size) >>> 0,
    );
    return this.add(UC_HOOK_INSN, cb, 1, 0, UC_X86_INS_IN);
  }

  portOut(fn: OutHook): HookHandle {
    const cb = this.trampoline(
      'insnOut',
      'port out',
      undefined,
      (_uc: unknown, port: number, size: number, value: number) => fn(port, size, value >>> 0),
    );
    return this.add(UC_HOOK_INSN, cb, 1, 0, UC_X86_INS_OUT);
  }

  /** UC_HOOK_CODE (`block` false) or UC_HOOK_BLOCK (`block` true) over [begin, end]. */
  code(fn: CodeHook, begin: number, end: number, block: boolean): HookHandle {
    const cb = this.trampoline(
      'code',
      block ? 'block' : 'code',
      undefined,
      (_uc: unknown, addr: number | bigint, size: number) => fn(u64(addr), size),
    );
    return this.add(block ? UC_HOOK_BLOCK : UC_HOOK_CODE, cb, begin, end);
  }

  memUnmapped(fn: MemEventHook): HookHandle {
    return this.memEvent(fn, 'unmapped memory', UC_HOOK_MEM_UNMAPPED, 1, 0);
  }

  /** UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE over [begin, end]: every data access, exact address and size. */
  memAccess(fn: MemEventHook, begin: number, end: number): HookHandle {
    return this.memEvent(fn, 'memory access', UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE, begin, end);
  }

  private memEvent(fn: MemEventHook, what: string, type: number, begin: number, end: number): HookHandle {
    const cb = this.trampoline(
      'memEvent',
      what,
      false,
      (_uc: unknown, t: number, addr: number | bigint, size: number, value: number | bigint) =>
        fn(t, u64(addr), size, u64(value)),
    );
    return this.add(type, cb, begin, end);
  }

  cpuid(fn: CpuidHook): HookHandle {
    const cb = this.trampoline('cpuid', 'cpuid', 0, () => (fn() ? 1 : 0));
    return this.add(UC_HOOK_INSN, cb, 1, 0, UC_X86_INS_CPUID);
  }

  insnInvalid(fn: InsnInvalidHook): HookHandle {
    const cb = this.trampoline('insnInvalid', 'invalid instruction', false, () => fn());
    return this.add(UC_HOOK_INSN_INVALID, cb, 1, 0);
  }

  del(h: HookHandle): void {
    const uc = this.engine.live();
    const cb = this.hooks.get(h);
    if (cb === undefined) throw new RangeError(`no hook ${h}`);
    this.engine.check('uc_hook_del', this.engine.api.uc_hook_del(uc, h));
    // Unicorn defers freeing a deleted hook but never calls it again.
    this.hooks.delete(h);
    koffi.unregister(cb);
  }

  /** Unregister every hook's trampoline; only after uc_close, when Unicorn can call none. */
  release(): void {
    for (const cb of this.hooks.values()) koffi.unregister(cb);
    this.hooks.clear();
  }
}
