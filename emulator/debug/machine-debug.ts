/*
 * What a debugger (the gdb stub, cli/gdb/) may do to a Machine between slices, in one place, so
 * the Machine itself only has to run slices that can pause (Machine.debugSlice):
 *
 *   registers     any engine register by name, read and written at full width
 *   breakpoints   code hooks that pause the slice before an instruction (breakpoints.ts)
 *   memory        side-effect-free reads and writes by guest-virtual address (debug-memory.ts);
 *                 a write also drops translated code, so a patched instruction is what runs next
 *   TLB record    the translations the fill hook granted since the last flush of Unicorn's TLB
 *                 (tlb-record.ts), kept only once a debugger asks for it
 *
 * Invariants: nothing here changes a page-table entry or the event stream; the TLB record is
 * null (and costs the fill path nothing) until recordTlb() is called.
 */
import type { Arch } from '../arch.js';
import { gpa, gva, pageAlignDown } from '../../mmu/addr.js';
import type { GuestPaging } from '../../mmu/guest-walk/index.js';
import { forEachPage } from '../../mmu/page-pieces.js';
import type { NestedVm } from '../nested-vm.js';
import type { SliceEnd } from '../stop-cause.js';
import type { StopReason } from '../stop-reason.js';
import { UC_MEM_WRITE } from '../unicorn/constants.js';
import type { Unicorn } from '../unicorn/unicorn.js';
import { Breakpoints } from './breakpoints.js';
import { DebugMemory } from './debug-memory.js';
import type { DebugPause } from './debug-pause.js';
import { TlbRecord, type TlbGrant } from './tlb-record.js';
import type { AccessKind, Prot } from '../../mmu/prot.js';

/* x86 control-register bits whose change flushes the TLB (QEMU's cpu_x86_update_cr0 / cr4). */
const CR0_PG = 1n << 31n;
const CR0_FLUSH = CR0_PG | (1n << 16n) | 1n; // PG, WP, PE
const CR4_FLUSH = (1n << 4n) | (1n << 5n) | (1n << 7n) | (1n << 20n) | (1n << 21n) | (1n << 12n); // PSE PAE PGE SMEP SMAP LA57

/** One data access of an instruction, as the engine made it. */
export interface DataAccess {
  readonly address: number;
  readonly size: number;
  readonly write: boolean;
}

/** What Machine.trialStep did: the slice's end, the accesses seen, and whether the step stayed done. */
export interface TrialStep {
  readonly end: StopReason | DebugPause | null;
  readonly accesses: readonly DataAccess[];
  readonly kept: boolean;
}

export class MachineDebug {
  readonly breakpoints: Breakpoints;
  /** Null without the nested layer (a Machine built with an injected translator). */
  readonly memory: DebugMemory | null;
  private record: TlbRecord | null = null;

  constructor(
    private readonly arch: Arch,
    private readonly uc: Unicorn,
    private readonly vm: NestedVm | null,
    paging: () => GuestPaging | null,
    /** The Machine's record of what ends the slice: a breakpoint pauses it there. */
    ending: SliceEnd,
  ) {
    this.memory = vm === null ? null : new DebugMemory(vm, paging);
    const hit = (pc: number) => {
      ending.paused ??= { kind: 'breakpoint', pc };
      uc.emuStop();
    };
    this.breakpoints = new Breakpoints(uc, hit, (addr, len) => this.dropCode(addr, len));
  }

  /** Flush Unicorn's TLB (the Machine's table enter after a generation change) and the record of it. */
  flushTlb(): void {
    this.uc.flushTlb();
    this.record?.flush();
  }

  /** One register by its engine name (emulator/unicorn/registers.ts), full width. */
  reg(name: string): bigint {
    return this.uc.regRead64(name);
  }

  /** Set a register; the next slice starts from it. */
  setReg(name: string, value: bigint): void {
    this.uc.regWrite(name, BigInt.asUintN(64, value));
  }

  /** Write guest memory by guest-virtual address (DebugMemory.write); false when it does not resolve. */
  write(va: number, bytes: Uint8Array): boolean {
    const ok = this.memory?.write(va, bytes) ?? false;
    if (ok) this.dropCode(va, bytes.length);
    return ok;
  }

  /*
   * Drop translated code covering [va, va + len) (uc_ctl TB_REMOVE_CACHE), so what runs next is
   * what memory and the hooks say now. The engine finds the code through a TLB fill of va, which
   * would fault a page in, so it is asked only for pages that have a nested leaf: code can only
   * have been translated from a page the guest fetched. (A full flush is never made: in Unicorn
   * 2.1.1 the first one costs seconds.)
   */
  private dropCode(va: number, len: number): void {
    forEachPage(va, len, (at, _done, n) => {
      const g = this.memory?.gvaToGpa(gva(at)) ?? null;
      if (this.memory === null || (g !== null && this.vm!.vmspace.gpt.lookup(gpa(pageAlignDown(g))) !== null))
        this.uc.removeCache(at, at + n);
      return undefined;
    });
  }

  /**
   * Run `body` (a one-instruction slice) with every data access the engine makes recorded: the
   * exact address (host-physical, as Unicorn sees its memory) and size, which the fill hook never
   * learns (it hears of whole pages), and, for a write to host RAM, the bytes it replaced, so
   * undoWrites() can put them back, last write first. The probe is a memory hook: one JS call per
   * access, and only while the body runs.
   */
  probeAccesses<T>(body: () => T): { result: T; accesses: DataAccess[]; undoWrites: () => void } {
    const accesses: DataAccess[] = [];
    const old: { at: number; bytes: Uint8Array }[] = [];
    const ram = this.vm?.mem.u8;
    const h = this.uc.hookMemAccess((type, address, size) => {
      const write = type === UC_MEM_WRITE;
      accesses.push({ address, size, write });
      if (write && ram !== undefined && address + size <= ram.length)
        old.push({ at: address, bytes: ram.slice(address, address + size) });
      return true;
    });
    let result: T;
    try {
      result = body();
    } finally {
      this.uc.hookDel(h);
    }
    const undoWrites = () => {
      for (const o of old.reverse()) ram!.set(o.bytes, o.at);
    };
    return { result, accesses, undoWrites };
  }

  /**
   * A trial of one instruction (a watched page's access, cli/gdb/run-control.ts): `slice` runs it
   * with its data accesses probed, and when `keep(accesses)` says no it is undone: registers and
   * the bytes it wrote put back, and `uncount` takes it off the count. Accessed and Dirty bits it
   * set stay set, as a speculative access's may. A stop or pause is always kept.
   */
  trial(
    slice: () => StopReason | DebugPause | null,
    uncount: () => void,
    keep: (a: readonly DataAccess[]) => boolean,
  ): TrialStep {
    const saved = this.uc.saveRegisters();
    const { result, accesses, undoWrites } = this.probeAccesses(slice);
    if (result !== null || keep(accesses)) {
      saved.free();
      return { end: result, accesses, kept: true };
    }
    saved.restore();
    undoWrites();
    uncount();
    return { end: null, accesses, kept: false };
  }

  /** Start keeping the record of granted fills (from the next flush on it is exact). */
  recordTlb(): TlbRecord {
    this.record ??= new TlbRecord();
    return this.record;
  }

  /** @internal the Machine's fill path reports each granted fill here (while recording). */
  granted(va: number, hpa: number, prot: Prot, access: AccessKind): void {
    const r = this.record;
    if (r === null) return;
    r.noteContext(this.tlbContext());
    r.grant(va, hpa, prot, access);
  }

  /** What Unicorn's TLB may hold now (the record, after a look at the translation context). */
  tlbEntries(): { grants: TlbGrant[]; flushes: number } {
    const r = this.recordTlb();
    r.noteContext(this.tlbContext());
    return { grants: r.entries(), flushes: r.flushes };
  }

  /* The registers whose change flushes Unicorn's whole TLB (tlb-record.ts), as one string. */
  private tlbContext(): string {
    const r = (n: string) => this.uc.regRead64(n);
    if (this.arch === 'arm64')
      return [r('sctlr_el1'), r('tcr_el1'), r('ttbr0_el1') >> 48n, r('ttbr1_el1') >> 48n].join(',');
    const cr0 = r('cr0');
    const paging = (cr0 & CR0_PG) !== 0n;
    return [cr0 & CR0_FLUSH, r('cr4') & CR4_FLUSH, paging ? r('cr3') : 0n].join(',');
  }
}
