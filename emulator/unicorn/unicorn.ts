/*
 * Unicorn: the typed binding to one Unicorn 2.1 engine. This directory is the ONLY place in
 * nestvm that touches the native engine; everything above it speaks this class.
 *
 * Invariants:
 *
 *  - Memory lifetime. Memory handed to Unicorn stays referenced for as long as Unicorn maps it.
 *    uc_mem_map_ptr keeps a raw pointer into a JS ArrayBuffer; if the buffer were collected, the
 *    guest would read and write freed memory. So every buffer passed to mapPtr() is pinned in
 *    `pinned` until unmap() of that exact region or close(); partial unmaps of a pinned region
 *    are refused. The same holds for MMIO callbacks and hook trampolines: each registered
 *    trampoline is kept (and koffi-unregistered) only after Unicorn can no longer call it.
 *
 *  - No exception crosses into C. Every JS callback runs inside a trampoline that catches what it
 *    throws, records the first such error, asks the engine to stop (uc_emu_stop) and returns a
 *    harmless value (fill: no translation; IN/MMIO read: 0). emuStart() then rethrows the error as
 *    a HookError. A buggy hook therefore ends the run with an exception, never with a crashed
 *    process.
 *
 *  - 64-bit callback arguments. koffi hands uint64_t arguments of 2^63 or more to JS as negative
 *    numbers (and may hand BigInts); u64() folds both back to a non-negative number. Numbers are
 *    exact below 2^53; 4 KiB-aligned addresses stay exact all the way to 2^64, but Unicorn fills
 *    arm64 in 1 KiB pieces, and such an address at 2^63 or above may round. The TLB-fill hook
 *    therefore also gets koffi's own value, which is exact, for reports (exactU64).
 *
 *  - Errors. A uc_* call that fails throws UnicornError carrying uc_strerror's text, except
 *    emuStart(), whose error code describes what the GUEST did (unmapped access, invalid
 *    instruction) and is returned as a number for the caller to turn into a stop reason.
 *
 *  - Instruction counts. emuStart(count = N) runs at most N instructions and
 *    instructionsLastRun() says exactly how many began, from the engine's own counter
 *    (insn-counter.ts); if that counter cannot be located, a JS code hook counts instead (exact,
 *    slow; `fastCounting` tells which).
 *
 * Register access goes by name (registers.ts); regRead() returns a number (exact below 2^53),
 * regRead64() a bigint for full-width reads off the hot path.
 *
 * Methods only the tests call. The Machine, its vCPUs and the raw-Unicorn benchmark baseline use
 * open, close, strerror, the register methods, mapPtr, mmioMap, setTlbMode, useNoExits, flushTlb, the TLB-fill,
 * interrupt and port hooks, emuStart, emuStop, instructionsLastRun and budgetExhaustedLastRun.
 * The rest is called only from test/emulator/unicorn/: map, unmap, memRead, memWrite,
 * removeCache, flushTb, hookBlock, hookMemUnmapped, hookInsnInvalid, hookDel, fastCounting and
 * open's jsCounting option (hookCode is also the slow counter's own hook). They stay because
 * those tests use them to pin what nestvm relies on in the engine: that a mapped buffer is the
 * engine's memory (no copy) and stays pinned until its exact region is unmapped, that code,
 * block, unmapped-memory and invalid-instruction hooks fire where expected, that translated code
 * survives a host-side patch until removeCache, that a deleted hook stays silent, and that the
 * engine counter and the JS fallback count alike. Each is one checked uc_* call, and nothing on
 * the run path depends on them.
 */
import koffi from 'koffi';
import type { Arch } from '../arch.js';
import {
  UC_ARCH_ARM64,
  UC_ARCH_X86,
  UC_CTL_TB_FLUSH,
  UC_CTL_TB_REMOVE_CACHE,
  UC_CTL_TLB_FLUSH,
  UC_CTL_TLB_TYPE,
  UC_CTL_UC_USE_EXITS,
  UC_HOOK_BLOCK,
  UC_HOOK_CODE,
  UC_HOOK_INSN,
  UC_HOOK_INSN_INVALID,
  UC_HOOK_INTR,
  UC_HOOK_MEM_UNMAPPED,
  UC_HOOK_TLB_FILL,
  UC_MODE_64,
  UC_MODE_ARM,
  UC_X86_INS_IN,
  UC_X86_INS_OUT,
  ctlWrite,
} from './constants.js';
import { assert } from '../../mmu/checks.js';
import { HookError, UnicornClosedError, UnicornError } from './errors.js';
import { InsnCounter, counterOffset } from './insn-counter.js';
import { PROTOS, TLB_ENTRY, library, type LoadedLibrary, type ProtoName, type UcApi } from './library.js';
import { RegisterBlock } from './register-block.js';
import { REGISTERS, type RegSpec } from './registers.js';

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
export type MmioRead = (offset: number, size: number) => number;
export type MmioWrite = (offset: number, size: number, value: number) => void;

/** A hook handle returned by the hook* methods, for hookDel(). */
export type HookHandle = number & { readonly __hook: true };

interface Pinned {
  readonly size: number;
  readonly memory: ArrayBuffer | null; // null for Unicorn-owned RAM and MMIO
  readonly callbacks: bigint[];
}

export class Unicorn {
  readonly arch: Arch;
  readonly library: LoadedLibrary;
  private readonly api: UcApi;
  private uc: unknown;
  private closed = false;
  private readonly pinned = new Map<number, Pinned>();
  private readonly hooks = new Map<number, bigint>();
  private pendingError: HookError | null = null;
  private readonly regs: Readonly<Record<string, RegSpec>>;
  private readonly block = new RegisterBlock();
  private readonly counter: InsnCounter | null;
  private jsCount = 0;
  private jsBudget = 0;
  private jsCounterHook: HookHandle | null = null;
  private lastBudget = 0;
  private readonly entryOut: TlbEntryOut = { paddr: 0, perms: 0 };

  private constructor(arch: Arch, lib: LoadedLibrary, uc: unknown, jsCounting: boolean) {
    this.arch = arch;
    this.library = lib;
    this.api = lib.api;
    this.uc = uc;
    this.regs = REGISTERS[arch];
    const offset = jsCounting ? null : counterOffset(lib);
    this.counter = offset === null ? null : new InsnCounter(uc, offset);
  }

  /**
   * Open an engine for x86-64 (64-bit mode) or arm64. `jsCounting` forces the slow exact
   * fallback counter (tests use it to check that both counters agree).
   */
  static open(arch: Arch, lib: LoadedLibrary = library(), opts: { jsCounting?: boolean } = {}): Unicorn {
    const out: unknown[] = [null];
    const err =
      arch === 'x86_64'
        ? lib.api.uc_open(UC_ARCH_X86, UC_MODE_64, out)
        : lib.api.uc_open(UC_ARCH_ARM64, UC_MODE_ARM, out);
    if (err !== 0) throw new UnicornError('uc_open', err, lib.api.uc_strerror(err) as string);
    return new Unicorn(arch, lib, out[0], opts.jsCounting === true);
  }

  /** uc_strerror's text for an error code. */
  strerror(code: number): string {
    return this.api.uc_strerror(code) as string;
  }

  /** True when exact counts come from the engine counter (false: the slow JS-hook fallback). */
  get fastCounting(): boolean {
    return this.counter !== null;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.api.uc_close(this.uc);
    // Only now can Unicorn no longer call a trampoline or touch pinned memory.
    for (const cb of this.hooks.values()) koffi.unregister(cb);
    for (const p of this.pinned.values()) for (const cb of p.callbacks) koffi.unregister(cb);
    this.hooks.clear();
    this.pinned.clear();
    this.uc = null;
  }

  // ---- registers -------------------------------------------------------------------------

  private spec(name: string): RegSpec {
    const s = this.regs[name];
    if (s === undefined) throw new RangeError(`no ${this.arch} register named '${name}'`);
    return s;
  }

  /** A register as a number: exact below 2^53 (larger values round; use regRead64). */
  regRead(name: string): number {
    const s = this.readBlock(name);
    return this.block.number(s);
  }

  /** A register at full 64-bit width. */
  regRead64(name: string): bigint {
    const s = this.readBlock(name);
    return this.block.bigint(s);
  }

  /** A register as two unsigned 32-bit halves, full width without a bigint. */
  regReadHalves(name: string, out: { lo: number; hi: number }): void {
    const s = this.readBlock(name);
    const [lo, hi] = this.block.halves(s);
    out.lo = lo;
    out.hi = hi;
  }

  regWrite(name: string, value: number | bigint): void {
    this.live();
    const s = this.spec(name);
    if (s.kind === 'pstate-field') throw new RangeError(`register '${name}' is read-only`);
    const id = this.block.select(s);
    this.block.store(s, value);
    this.check('uc_reg_write', this.api.uc_reg_write(this.uc, id, this.block.bytes));
  }

  private readBlock(name: string): RegSpec {
    this.live();
    const s = this.spec(name);
    const id = this.block.select(s);
    this.check('uc_reg_read', this.api.uc_reg_read(this.uc, id, this.block.bytes));
    return s;
  }

  // ---- memory ----------------------------------------------------------------------------

  /** Map caller-owned memory at host-physical `address`; the buffer is pinned until unmap/close. */
  mapPtr(address: number, memory: ArrayBuffer, perms: number, size = memory.byteLength): void {
    this.live();
    if (size > memory.byteLength) throw new RangeError(`mapPtr: ${size} bytes exceed the buffer`);
    this.check('uc_mem_map_ptr', this.api.uc_mem_map_ptr(this.uc, address, size, perms, memory));
    this.pinned.set(address, { size, memory, callbacks: [] });
  }

  /** Map Unicorn-owned RAM (zeroed) at `address`. */
  map(address: number, size: number, perms: number): void {
    this.live();
    this.check('uc_mem_map', this.api.uc_mem_map(this.uc, address, size, perms));
    this.pinned.set(address, { size, memory: null, callbacks: [] });
  }

  /** Map an MMIO region whose reads and writes call back into JS. */
  mmioMap(address: number, size: number, read: MmioRead, write: MmioWrite): void {
    this.live();
    const rcb = this.register('mmioRead', 'mmio read', 0, (_uc: unknown, off: number | bigint, sz: number) =>
      read(u64(off), sz),
    );
    const wcb = this.register(
      'mmioWrite',
      'mmio write',
      undefined,
      (_uc: unknown, off: number | bigint, sz: number, value: number | bigint) =>
        write(u64(off), sz, u64(value)),
    );
    const err = this.api.uc_mmio_map(this.uc, address, size, rcb, null, wcb, null);
    if (err !== 0) {
      koffi.unregister(rcb);
      koffi.unregister(wcb);
      this.check('uc_mmio_map', err);
    }
    this.pinned.set(address, { size, memory: null, callbacks: [rcb, wcb] });
  }

  /** Unmap exactly one region previously mapped here (its references are released after). */
  unmap(address: number, size: number): void {
    this.live();
    const p = this.pinned.get(address);
    if (p === undefined || p.size !== size) {
      throw new RangeError(
        `unmap 0x${address.toString(16)}+0x${size.toString(16)}: not a whole mapped region`,
      );
    }
    this.check('uc_mem_unmap', this.api.uc_mem_unmap(this.uc, address, size));
    this.pinned.delete(address);
    for (const cb of p.callbacks) koffi.unregister(cb);
  }

  /** Read host-physical memory through the engine (MMIO regions call their handlers). */
  memRead(address: number, length: number): Uint8Array {
    this.live();
    const out = new Uint8Array(length);
    this.check('uc_mem_read', this.api.uc_mem_read(this.uc, address, out, length));
    return out;
  }

  memWrite(address: number, bytes: Uint8Array): void {
    this.live();
    this.check('uc_mem_write', this.api.uc_mem_write(this.uc, address, bytes, bytes.length));
  }

  // ---- control ---------------------------------------------------------------------------

  /** UC_TLB_CPU (0): the guest MMU of the CPU model; UC_TLB_VIRTUAL (1): ask the fill hook. */
  setTlbMode(mode: number): void {
    this.live();
    this.check('uc_ctl(TLB_TYPE)', this.api.uc_ctl(this.uc, ctlWrite(UC_CTL_TLB_TYPE, 1), 'int', mode));
  }

  /**
   * Switch uc_emu_start's `until` address off. Without this, `until` = 0 is a real stop address:
   * a guest whose pc reaches 0 (x86-64 code in guest-physical page 0) ends its run there, as if it
   * had executed hlt, before its first instruction. With exits on and none registered, only the
   * count, a stop request or an error end a run.
   */
  useNoExits(): void {
    this.live();
    this.check('uc_ctl(USE_EXITS)', this.api.uc_ctl(this.uc, ctlWrite(UC_CTL_UC_USE_EXITS, 1), 'int', 1));
  }

  /** Drop every cached translation: the next access to each page asks the fill hook again. */
  flushTlb(): void {
    this.live();
    this.check('uc_ctl(TLB_FLUSH)', this.api.uc_ctl(this.uc, ctlWrite(UC_CTL_TLB_FLUSH, 0)));
  }

  /** Drop translated code blocks covering [begin, end) (guest-virtual). */
  removeCache(begin: number, end: number): void {
    this.live();
    this.check(
      'uc_ctl(TB_REMOVE_CACHE)',
      this.api.uc_ctl(this.uc, ctlWrite(UC_CTL_TB_REMOVE_CACHE, 2), 'uint64_t', begin, 'uint64_t', end),
    );
  }

  /** Drop all translated code blocks. */
  flushTb(): void {
    this.live();
    this.check('uc_ctl(TB_FLUSH)', this.api.uc_ctl(this.uc, ctlWrite(UC_CTL_TB_FLUSH, 0)));
  }

  // ---- hooks -----------------------------------------------------------------------------

  /* Register a trampoline that never lets an exception reach C (see the essay). */
  private register(
    proto: ProtoName,
    what: string,
    onError: unknown,
    fn: (...args: never[]) => unknown,
  ): bigint {
    const trampoline = (...args: never[]): unknown => {
      try {
        return fn(...args);
      } catch (e) {
        this.pendingError ??= new HookError(what, e);
        if (!this.closed) this.api.uc_emu_stop(this.uc);
        return onError;
      }
    };
    return koffi.register(trampoline, koffi.pointer(PROTOS[proto]));
  }

  private addHook(type: number, cb: bigint, begin: number, end: number, insn?: number): HookHandle {
    this.live();
    const hh: number[] = [0];
    const err =
      insn === undefined
        ? this.api.uc_hook_add(this.uc, hh, type, cb, null, begin, end)
        : this.api.uc_hook_add(this.uc, hh, type, cb, null, begin, end, 'int', insn);
    if (err !== 0) {
      koffi.unregister(cb);
      this.check('uc_hook_add', err);
    }
    this.hooks.set(hh[0], cb);
    return hh[0] as HookHandle;
  }

  /**
   * UC_HOOK_TLB_FILL: called on every miss of the engine's TLB in virtual-TLB mode. `vaddr` is
   * aligned to the ENGINE's target page, which is 4 KiB on x86-64 but 1 KiB on arm64 in Unicorn
   * 2.1.1 (uc_ctl cannot change it there); the engine keeps only those bits of `entry.paddr`, so a
   * fill must return the host-physical address of that same sub-page, offset included.
   */
  hookTlbFill(fill: TlbFillHook): HookHandle {
    const entry = this.entryOut;
    const cb = this.register(
      'tlbFill',
      'tlb fill',
      false,
      (_uc: unknown, vaddr: number | bigint, type: number, result: unknown) => {
        if (!fill(u64(vaddr), type, entry, vaddr)) return false;
        // koffi passes the uc_tlb_entry pointer as a raw address: write the result into it.
        koffi.encode(result, TLB_ENTRY, entry);
        return true;
      },
    );
    return this.addHook(UC_HOOK_TLB_FILL, cb, 1, 0);
  }

  /** UC_HOOK_INTR: guest exceptions and interrupts (Unicorn never delivers them to the guest). */
  hookIntr(fn: IntrHook): HookHandle {
    const cb = this.register('intr', 'interrupt', undefined, (_uc: unknown, intno: number) => fn(intno));
    return this.addHook(UC_HOOK_INTR, cb, 1, 0);
  }

  /** x86 IN: returns the value read from the port. */
  hookIn(fn: InHook): HookHandle {
    const cb = this.register(
      'insnIn',
      'port in',
      0,
      (_uc: unknown, port: number, size: number) => fn(port, size) >>> 0,
    );
    return this.addHook(UC_HOOK_INSN, cb, 1, 0, UC_X86_INS_IN);
  }

  /** x86 OUT. */
  hookOut(fn: OutHook): HookHandle {
    const cb = this.register(
      'insnOut',
      'port out',
      undefined,
      (_uc: unknown, port: number, size: number, value: number) => fn(port, size, value >>> 0),
    );
    return this.addHook(UC_HOOK_INSN, cb, 1, 0, UC_X86_INS_OUT);
  }

  /** UC_HOOK_CODE over [begin, end] (begin > end: everywhere). One JS call per instruction: not for hot paths. */
  hookCode(fn: CodeHook, begin = 1, end = 0): HookHandle {
    const cb = this.register('code', 'code', undefined, (_uc: unknown, addr: number | bigint, size: number) =>
      fn(u64(addr), size),
    );
    return this.addHook(UC_HOOK_CODE, cb, begin, end);
  }

  /** UC_HOOK_BLOCK over [begin, end]. */
  hookBlock(fn: CodeHook, begin = 1, end = 0): HookHandle {
    const cb = this.register(
      'code',
      'block',
      undefined,
      (_uc: unknown, addr: number | bigint, size: number) => fn(u64(addr), size),
    );
    return this.addHook(UC_HOOK_BLOCK, cb, begin, end);
  }

  /** Accesses to host-physical addresses nothing is mapped at. Return true to retry (after mapping). */
  hookMemUnmapped(fn: MemEventHook): HookHandle {
    const cb = this.register(
      'memEvent',
      'unmapped memory',
      false,
      (_uc: unknown, type: number, addr: number | bigint, size: number, value: number | bigint) =>
        fn(type, u64(addr), size, u64(value)),
    );
    return this.addHook(UC_HOOK_MEM_UNMAPPED, cb, 1, 0);
  }

  /** An instruction the CPU model cannot decode. Return true to continue. */
  hookInsnInvalid(fn: InsnInvalidHook): HookHandle {
    const cb = this.register('insnInvalid', 'invalid instruction', false, () => fn());
    return this.addHook(UC_HOOK_INSN_INVALID, cb, 1, 0);
  }

  hookDel(h: HookHandle): void {
    this.live();
    const cb = this.hooks.get(h);
    if (cb === undefined) throw new RangeError(`no hook ${h}`);
    this.check('uc_hook_del', this.api.uc_hook_del(this.uc, h));
    // Unicorn defers freeing a deleted hook but never calls it again.
    this.hooks.delete(h);
    koffi.unregister(cb);
  }

  // ---- running ---------------------------------------------------------------------------

  /**
   * Run from `begin` until `until` (ignored after useNoExits(); otherwise a real address, 0 too), `timeoutUs` microseconds (0: none) or `count`
   * instructions (0: no limit). Returns the uc_err code (0 = OK); a hook that threw is rethrown.
   * With count > 0, instructionsLastRun() then gives the exact number executed.
   */
  emuStart(begin: number, until: number, timeoutUs: number, count: number): number {
    this.live();
    this.pendingError = null;
    this.lastBudget = count;
    let err: number;
    if (count > 0 && this.counter === null) {
      this.jsBudget = count;
      this.jsCount = 0;
      this.jsCounterHook ??= this.hookCode(() => this.countOne());
      err = this.api.uc_emu_start(this.uc, begin, until, timeoutUs, 0) as number;
    } else {
      err = this.api.uc_emu_start(this.uc, begin, until, timeoutUs, count) as number;
    }
    const pending = this.pendingError;
    if (pending !== null) {
      this.pendingError = null;
      throw pending;
    }
    return err;
  }

  /* The slow, exact fallback counter (only when calibration failed). */
  private countOne(): void {
    if (this.jsCount >= this.jsBudget) {
      this.jsCount = this.jsBudget + 1;
      this.api.uc_emu_stop(this.uc);
      return;
    }
    this.jsCount++;
  }

  /**
   * Instructions begun by the last emuStart (which must have had count > 0); see insn-counter.ts.
   * `stoppedInsideInstruction`: a hook that runs in the middle of an instruction (port I/O, MMIO)
   * requested the stop. Unicorn 2.1.1 then still counts the next instruction before it stops, so
   * the counter is one high (measured and pinned by the tests); stops requested from the
   * interrupt hook, faults and hlt are counted exactly.
   */
  instructionsLastRun(stoppedInsideInstruction = false): number {
    this.live();
    if (this.lastBudget <= 0)
      throw new RangeError('instructionsLastRun: the last run had no instruction budget');
    if (this.counter === null)
      return Unicorn.interpret(this.jsCount, this.lastBudget, stoppedInsideInstruction);
    // The slot after the counter holds the engine's copy of the budget: if it disagrees, the
    // calibrated layout is wrong and no count can be trusted.
    assert(this.counter.budget() === this.lastBudget, 'engine instruction counter layout changed');
    const raw = this.counter.read();
    assert(raw <= this.lastBudget + 1, 'engine instruction counter out of range');
    return Unicorn.interpret(raw, this.lastBudget, stoppedInsideInstruction);
  }

  private static interpret(raw: number, budget: number, inside: boolean): number {
    if (raw > budget) return budget;
    return inside ? raw - 1 : raw;
  }

  /** True when the last run used up its budget (the counter went one past it). */
  budgetExhaustedLastRun(): boolean {
    const raw = this.counter === null ? this.jsCount : this.counter.read();
    return raw === this.lastBudget + 1;
  }

  /** Ask a running emulation to stop at the next instruction boundary (from inside a hook). */
  emuStop(): void {
    this.live();
    this.check('uc_emu_stop', this.api.uc_emu_stop(this.uc));
  }

  // ---- helpers ---------------------------------------------------------------------------

  private live(): void {
    if (this.closed) throw new UnicornClosedError(`the ${this.arch} Unicorn engine is closed`);
  }

  private check(op: string, err: number): void {
    if (err !== 0) throw new UnicornError(op, err, this.strerror(err));
  }
}
