/*
 * Unicorn: the typed binding to one Unicorn 2.1 engine. This directory is the ONLY place in
 * nestvm that touches the native engine; everything above it speaks this class.
 *
 * The class is a facade over the engine's pieces, each with its own invariants: the mapped
 * memory and what pins it (memory-map.ts), the hooks and their trampolines (hook-table.ts, which
 * also says how 64-bit callback arguments arrive), register access by name (registers.ts,
 * register-block.ts) and the count of each run (run-count.ts, insn-counter.ts). What holds here:
 *
 *  - Lifetime. Nothing the engine may still call or touch is released before uc_close: close()
 *    closes the engine first and only then lets the hook table and memory map unregister their
 *    trampolines and unpin their buffers. A uc_* call asked for after close() is refused with
 *    UnicornClosedError instead.
 *
 *  - No exception crosses into C (hook-table.ts); emuStart() rethrows the first error a hook
 *    threw during the run as a HookError.
 *
 *  - Errors. A uc_* call that fails throws UnicornError carrying uc_strerror's text, except
 *    emuStart(), whose error code describes what the GUEST did (unmapped access, invalid
 *    instruction) and is returned as a number for the caller to turn into a stop reason.
 *
 *  - Instruction counts. emuStart(count = N) runs at most N instructions and
 *    instructionsLastRun() says exactly how many began (run-count.ts): from the block counter
 *    (block-count.ts, opt-in), the engine's own counter, or a JS code hook (exact, slow).
 *
 *  - Native memory. An engine's memory goes back to the system at close(): the first open fixes
 *    glibc's mmap threshold (malloc-tuning.ts), without which every engine left half a MiB of
 *    its freed memory resident in the heap.
 *
 * Register access goes by name (registers.ts); regRead() returns a number (exact below 2^53),
 * regRead64() a bigint for full-width reads off the hot path.
 *
 * Only the tests call map, unmap, memRead, memWrite, hookBlock, hookMemUnmapped, hookInsnInvalid,
 * hookDel, fastCounting and open's jsCounting: they pin what nestvm relies on in the engine (mapped
 * buffers are its memory, pinned until unmapped; hooks fire where expected; translated code
 * outlives a host-side patch until removeCache, which the block counter uses; flushTb serves a restore).
 */
import type { Arch } from '../arch.js';
import {
  UC_ARCH_ARM64,
  UC_ARCH_X86,
  UC_CTL_TB_FLUSH,
  UC_CTL_TB_REMOVE_CACHE,
  UC_CTL_TLB_FLUSH,
  UC_CTL_TLB_TYPE,
  UC_CTL_UC_USE_EXITS,
  UC_MODE_64,
  UC_MODE_ARM,
  ctlWrite,
} from './constants.js';
import type { EngineAccess } from './engine-access.js';
import { UnicornClosedError, UnicornError } from './errors.js';
import {
  HookTable,
  type CodeHook,
  type HookHandle,
  type InHook,
  type InsnInvalidHook,
  type IntrHook,
  type MemEventHook,
  type OutHook,
  type TlbFillHook,
} from './hook-table.js';
import { blockCountFor } from './block-count.js';
import type { CounterKind, OpenOptions } from './block-shim.js';
import { InsnCounter, counterOffset } from './insn-counter.js';
import { tuneMalloc } from './malloc-tuning.js';
import { library, type LoadedLibrary, type UcApi } from './library.js';
import { MemoryMap, type MmioRead, type MmioWrite } from './memory-map.js';
import { RegisterBlock } from './register-block.js';
import { PC_REG, REGISTERS, type RegSpec } from './registers.js';
import { RunCount, type SliceEnd } from './run-count.js';
import { saveRegisters, type SavedRegisters } from './saved-registers.js';

export { exactU64, u64 } from './hook-table.js';
export type {
  CodeHook,
  HookHandle,
  InHook,
  InsnInvalidHook,
  IntrHook,
  MemEventHook,
  OutHook,
  TlbEntryOut,
  TlbFillHook,
} from './hook-table.js';
export type { MmioRead, MmioWrite } from './memory-map.js';
export type { SavedRegisters } from './saved-registers.js';

export class Unicorn {
  readonly arch: Arch;
  readonly library: LoadedLibrary;
  private readonly api: UcApi;
  private uc: unknown;
  private closed = false;
  readonly hookTable: HookTable; // public for the x86 CPUID hook only (emulator/smp/apic-id.ts)
  private readonly memoryMap: MemoryMap;
  private readonly regs: Readonly<Record<string, RegSpec>>;
  private readonly block = new RegisterBlock();
  private readonly runCount: RunCount;
  private readonly access: EngineAccess;

  private constructor(arch: Arch, lib: LoadedLibrary, uc: unknown, opts: OpenOptions) {
    this.arch = arch;
    this.library = lib;
    this.api = lib.api;
    this.uc = uc;
    this.regs = REGISTERS[arch];
    const access: EngineAccess = {
      api: this.api,
      live: () => {
        this.live();
        return this.uc;
      },
      stopIfOpen: () => {
        if (!this.closed) this.api.uc_emu_stop(this.uc);
      },
      check: (op, err) => this.check(op, err),
    };
    this.access = access;
    this.hookTable = new HookTable(access);
    this.memoryMap = new MemoryMap(access, this.hookTable);
    const offset = opts.jsCounting === true ? null : counterOffset(lib);
    const counter = offset === null ? null : new InsnCounter(uc, offset);
    const control = {
      pc: () => this.regRead(PC_REG[this.arch]),
      drop: (b: number, e: number) => this.removeCache(b, e),
    };
    const blocks = blockCountFor(this.api, uc, arch === 'arm64', opts);
    this.runCount = new RunCount(counter, access, this.hookTable, blocks, control);
  }

  /**
   * Open an engine for x86-64 (64-bit mode) or arm64. `jsCounting` forces the slow exact
   * fallback counter (tests use it to check that both counters agree).
   */
  static open(arch: Arch, lib: LoadedLibrary = library(), opts: OpenOptions = {}): Unicorn {
    tuneMalloc();
    const out: unknown[] = [null];
    const err =
      arch === 'x86_64'
        ? lib.api.uc_open(UC_ARCH_X86, UC_MODE_64, out)
        : lib.api.uc_open(UC_ARCH_ARM64, UC_MODE_ARM, out);
    if (err !== 0) throw new UnicornError('uc_open', err, lib.api.uc_strerror(err) as string);
    return new Unicorn(arch, lib, out[0], opts);
  }

  /** uc_strerror's text for an error code. */
  strerror(code: number): string {
    return this.api.uc_strerror(code) as string;
  }

  /** True when exact counts come from the engine counter (false: the slow JS-hook fallback). */
  get fastCounting(): boolean {
    return this.runCount.fast;
  }

  /** Which counter this engine counts with (block-shim.ts). */
  get counter(): CounterKind {
    return this.runCount.kind;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.api.uc_close(this.uc);
    // Only now can Unicorn no longer call a trampoline or touch pinned memory.
    this.runCount.blocks?.release();
    this.hookTable.release();
    this.memoryMap.release();
    this.uc = null;
  }

  private spec(name: string, raw = false): RegSpec {
    const s = this.regs[name];
    if (s === undefined) throw new RangeError(`no ${this.arch} register named '${name}'`);
    if (s.kind === 'wide' && !raw) throw new RangeError(`'${name}' is wider than 64 bits (regReadRaw)`);
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
    out.lo = this.block.low(s);
    out.hi = this.block.high(s);
  }

  regWrite(name: string, value: number | bigint): void {
    this.writeBlock(name, false, (s) => this.block.store(s, value));
  }

  /** A register's value as raw little-endian bytes, as wide as the register (XMM, Q: 16). */
  regReadRaw(name: string): Uint8Array {
    return this.block.raw(this.readBlock(name, true));
  }

  /** Write a register from raw little-endian bytes (regReadRaw's form). */
  regWriteRaw(name: string, value: Uint8Array): void {
    this.writeBlock(name, true, (s) => this.block.storeRaw(s, value));
  }

  /* Write `name` from the block `store` fills; a register wider than 64 bits only raw. */
  private writeBlock(name: string, raw: boolean, store: (s: RegSpec) => void): void {
    this.live();
    const s = this.spec(name, raw);
    if (s.kind === 'pstate-field') throw new RangeError(`register '${name}' is read-only`);
    const id = this.block.select(s);
    store(s);
    this.check('uc_reg_write', this.api.uc_reg_write(this.uc, id, this.block.bytes));
  }

  private readBlock(name: string, raw = false): RegSpec {
    this.live();
    const s = this.spec(name, raw);
    const id = this.block.select(s);
    this.check('uc_reg_read', this.api.uc_reg_read(this.uc, id, this.block.bytes));
    return s;
  }

  /** Map caller-owned memory at host-physical `address`; the buffer is pinned until unmap/close. */
  mapPtr(address: number, memory: ArrayBuffer, perms: number, size = memory.byteLength): void {
    this.memoryMap.mapPtr(address, memory, perms, size);
  }

  /** Map Unicorn-owned RAM (zeroed) at `address`. */
  map(address: number, size: number, perms: number): void {
    this.memoryMap.map(address, size, perms);
  }

  /** Map an MMIO region whose reads and writes call back into JS. */
  mmioMap(address: number, size: number, read: MmioRead, write: MmioWrite): void {
    this.memoryMap.mmioMap(address, size, read, write);
  }

  /** Unmap exactly one region previously mapped here (its references are released after). */
  unmap(address: number, size: number): void {
    this.memoryMap.unmap(address, size);
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
    this.runCount.blocks?.forget();
    this.check(
      'uc_ctl(TB_REMOVE_CACHE)',
      this.api.uc_ctl(this.uc, ctlWrite(UC_CTL_TB_REMOVE_CACHE, 2), 'uint64_t', begin, 'uint64_t', end),
    );
  }

  /** Drop all translated code blocks. */
  flushTb(): void {
    this.live();
    this.runCount.blocks?.forget();
    this.check('uc_ctl(TB_FLUSH)', this.api.uc_ctl(this.uc, ctlWrite(UC_CTL_TB_FLUSH, 0)));
  }

  /** Save the vCPU's registers (saved-registers.ts). */
  saveRegisters(): SavedRegisters {
    return saveRegisters(this.access);
  }

  /**
   * UC_HOOK_TLB_FILL: called on every miss of the engine's TLB in virtual-TLB mode. `vaddr` is
   * aligned to the ENGINE's target page, which is 4 KiB on x86-64 but 1 KiB on arm64 in Unicorn
   * 2.1.1 (uc_ctl cannot change it there); the engine keeps only those bits of `entry.paddr`, so a
   * fill must return the host-physical address of that same sub-page, offset included.
   */
  hookTlbFill(fill: TlbFillHook): HookHandle {
    return this.hookTable.tlbFill(fill);
  }

  /** UC_HOOK_INTR: guest exceptions and interrupts (Unicorn never delivers them to the guest). */
  hookIntr(fn: IntrHook): HookHandle {
    return this.hookTable.intr(this.runCount.watchingExceptions(fn));
  }

  /** x86 IN: returns the value read from the port. */
  hookIn(fn: InHook): HookHandle {
    return this.hookTable.portIn(fn);
  }

  /** x86 OUT. */
  hookOut(fn: OutHook): HookHandle {
    return this.hookTable.portOut(fn);
  }

  /** UC_HOOK_CODE over [begin, end] (begin > end: everywhere). One JS call per instruction: not for hot paths. */
  hookCode(fn: CodeHook, begin = 1, end = 0): HookHandle {
    return this.hookTable.code(fn, begin, end, false);
  }

  /** UC_HOOK_BLOCK over [begin, end]. */
  hookBlock(fn: CodeHook, begin = 1, end = 0): HookHandle {
    return this.hookTable.code(fn, begin, end, true);
  }

  /** Accesses to host-physical addresses nothing is mapped at. Return true to retry (after mapping). */
  hookMemUnmapped(fn: MemEventHook): HookHandle {
    return this.hookTable.memUnmapped(fn);
  }

  /** Data reads and writes over [begin, end] (begin > end: everywhere), exact address and size. One JS call per access: for a single step only. */
  hookMemAccess(fn: MemEventHook, begin = 1, end = 0): HookHandle {
    return this.hookTable.memAccess(fn, begin, end);
  }

  /** An instruction the CPU model cannot decode. Return true to continue. */
  hookInsnInvalid(fn: InsnInvalidHook): HookHandle {
    return this.hookTable.insnInvalid(fn);
  }

  hookDel(h: HookHandle): void {
    this.hookTable.del(h);
  }

  /**
   * Run from `begin` until `until` (ignored after useNoExits(); otherwise a real address, 0 too), `timeoutUs` microseconds (0: none) or `count`
   * instructions (0: no limit). Returns the uc_err code (0 = OK); a hook that threw is rethrown.
   * With count > 0, instructionsLastRun() then gives the exact number executed.
   */
  emuStart(begin: number, until: number, timeoutUs: number, count: number): number {
    this.live();
    this.hookTable.clearError();
    const once = (at: number, n: number) => this.api.uc_emu_start(this.uc, at, until, timeoutUs, n) as number;
    const err = this.runCount.start(begin, count, once);
    const pending = this.hookTable.takeError();
    if (pending !== null) throw pending;
    return err;
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
    return this.runCount.lastRun(stoppedInsideInstruction);
  }

  /** A Machine slice's count: instructionsLastRun with the count hook's quirks corrected (run-count.ts). */
  instructionsLastSlice(end: SliceEnd, faulted: boolean, paused: boolean): number {
    this.live();
    return this.runCount.sliceCount(end, faulted, paused);
  }

  /**
   * Instructions the run in progress has begun so far, read from inside a hook (the fill's
   * instruction stamp): a typed-array load, no call into the engine. Low 32 bits of the count.
   */
  instructionsBegunNow(): number {
    return this.runCount.begunNow();
  }

  /** True when the last run used up its budget (the counter went one past it). */
  budgetExhaustedLastRun(): boolean {
    return this.runCount.budgetExhausted();
  }

  /**
   * Ask a running emulation to stop right after the instruction in flight, from a hook called in
   * its middle (port I/O, MMIO): under the block counter a pending stop (block-count.ts), else
   * emuStop.
   */
  emuStopAfterInstruction(): void {
    this.live();
    if (this.runCount.blocks?.deferStop() === true) return;
    this.emuStop();
  }

  /** True when the engine wants to see x86-64 code pages before it translates them (watchCode). */
  get watchesCode(): boolean {
    return this.arch === 'x86_64' && this.runCount.blocks !== null;
  }

  /** A code page at guest-virtual `va` is filled from host-physical `hpa` holding `page` (see watchesCode). */
  watchCode(va: number, hpa: number, page: Uint8Array): void {
    this.runCount.blocks?.watchCode(va, hpa, page);
  }

  /** Ask a running emulation to stop at the next instruction boundary (from inside a hook). */
  emuStop(): void {
    this.live();
    this.runCount.blocks?.noteStop();
    this.check('uc_emu_stop', this.api.uc_emu_stop(this.uc));
  }

  private live(): void {
    if (this.closed) throw new UnicornClosedError(`the ${this.arch} Unicorn engine is closed`);
  }

  private check(op: string, err: number): void {
    if (err !== 0) throw new UnicornError(op, err, this.strerror(err));
  }
}
