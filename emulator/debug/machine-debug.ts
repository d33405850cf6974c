/*
 * What a debugger (the gdb stub, cli/gdb/) may do to a Machine between slices, in one place, so
 * the Machine itself only has to run slices that can pause (Machine.debugSlice):
 *
 *   vCPUs         cpu(i): one vCPU's registers and memory through its own tables (vcpu-debug.ts);
 *                 reg, setReg, memory and write are vCPU 0's, the view every single-vCPU user has
 *   registers     any engine register by name, read and written at full width
 *   breakpoints   code hooks in every vCPU's engine that pause the slice before an instruction
 *                 (breakpoints.ts); the pause names the vCPU that reached it
 *   memory        side-effect-free reads and writes by guest-virtual address (debug-memory.ts);
 *                 a write also drops translated code in every engine (at the same virtual address,
 *                 as each vCPU's own tables resolve it), so a patched instruction is what runs next
 *   TLB record    the translations the fill hook granted since the last flush of Unicorn's TLB
 *                 (tlb-record.ts), kept only once a debugger asks for it
 *
 * Invariants: nothing here changes a page-table entry or the event stream; the TLB record is
 * null (and costs the fill path nothing) until recordTlb() is called.
 */
import type { Arch } from '../arch.js';
import type { GuestPaging } from '../../mmu/guest-walk/index.js';
import type { NestedVm } from '../nested-vm.js';
import type { SliceEnd } from '../stop-cause.js';
import type { StopReason } from '../stop-reason.js';
import { UC_MEM_WRITE } from '../unicorn/constants.js';
import type { Unicorn } from '../unicorn/unicorn.js';
import { Breakpoints } from './breakpoints.js';
import type { DebugMemory } from './debug-memory.js';
import type { DebugPause } from './debug-pause.js';
import { VcpuDebug } from './vcpu-debug.js';
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
  /** vCPU 0's memory; null without the nested layer (a Machine built with an injected translator). */
  readonly memory: DebugMemory | null;
  private readonly views: readonly VcpuDebug[];
  private readonly uc: Unicorn;
  /* Host RAM, for undoing a trial's writes. */
  private readonly ram: Uint8Array | undefined;
  private record: TlbRecord | null = null;

  constructor(
    private readonly arch: Arch,
    /** Every vCPU's engine, vCPU 0's first. */
    ucs: readonly Unicorn[],
    vm: NestedVm | null,
    /** A vCPU's own paging state, from its engine. */
    paging: (uc: Unicorn) => GuestPaging | null,
    /** The Machine's record of what ends the slice: a breakpoint pauses it there. */
    ending: SliceEnd,
  ) {
    const drop = (addr: number, len: number) => this.dropCode(addr, len);
    this.views = ucs.map((uc, id) => new VcpuDebug(id, uc, vm, () => paging(uc), drop));
    this.uc = ucs[0];
    this.ram = vm?.mem.u8;
    this.memory = this.views[0].memory;
    const hit = (uc: Unicorn, pc: number) => {
      ending.paused ??= { kind: 'breakpoint', pc };
      uc.emuStop();
    };
    this.breakpoints = new Breakpoints(ucs, hit, drop);
  }

  /** How many vCPUs the Machine has. */
  get cpuCount(): number {
    return this.views.length;
  }

  /** vCPU `id`'s view (registers, its memory); vCPU 0's for an id out of range. */
  cpu(id: number): VcpuDebug {
    return this.views[id] ?? this.views[0];
  }

  /** Flush Unicorn's TLB (the Machine's table enter after a generation change) and the record of it. */
  flushTlb(): void {
    this.uc.flushTlb();
    this.record?.flush();
  }

  /** One register of vCPU 0 by its engine name (emulator/unicorn/registers.ts), full width. */
  reg(name: string): bigint {
    return this.views[0].reg(name);
  }

  /** Set a register of vCPU 0; the next slice starts from it. */
  setReg(name: string, value: bigint): void {
    this.views[0].setReg(name, value);
  }

  /** Write guest memory by vCPU 0's guest-virtual address (DebugMemory.write); false when it does not resolve. */
  write(va: number, bytes: Uint8Array): boolean {
    return this.views[0].write(va, bytes);
  }

  /* Drop translated code covering [va, va + len) in every engine (VcpuDebug.dropOwnCode). */
  private dropCode(va: number, len: number): void {
    for (const v of this.views) v.dropOwnCode(va, len);
  }

  /**
   * Run `body` (a one-instruction slice) with every data access the engine makes recorded: the
   * exact address (host-physical, as Unicorn sees its memory) and size, which the fill hook never
   * learns (it hears of whole pages), and, for a write to host RAM, the bytes it replaced, so
   * undoWrites() can put them back, last write first. The probe is a memory hook: one JS call per
   * access, and only while the body runs.
   */
  probeAccesses<T>(
    uc: Unicorn,
    ram: Uint8Array | undefined,
    body: () => T,
  ): { result: T; accesses: DataAccess[]; undoWrites: () => void } {
    const accesses: DataAccess[] = [];
    const old: { at: number; bytes: Uint8Array }[] = [];
    const h = uc.hookMemAccess((type, address, size) => {
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
      uc.hookDel(h);
    }
    const undoWrites = () => {
      for (const o of old.reverse()) ram!.set(o.bytes, o.at);
    };
    return { result, accesses, undoWrites };
  }

  /**
   * A trial of one instruction of vCPU `cpu` (a watched page's access, cli/gdb/run-control.ts): `slice` runs it
   * with its data accesses probed, and when `keep(accesses)` says no it is undone: registers and
   * the bytes it wrote put back, and `uncount` takes it off the count. Accessed and Dirty bits it
   * set stay set, as a speculative access's may. A stop or pause is always kept.
   */
  trial(
    cpu: number,
    slice: () => StopReason | DebugPause | null,
    uncount: () => void,
    keep: (a: readonly DataAccess[]) => boolean,
  ): TrialStep {
    const uc = this.cpu(cpu).uc;
    const saved = uc.saveRegisters();
    const { result, accesses, undoWrites } = this.probeAccesses(uc, this.ram, slice);
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
