/*
 * One vCPU as a debugger sees it (a gdb thread, cli/gdb/threads.ts): its own engine's registers
 * and guest memory through its own page tables. Each vCPU of a Machine is its own Unicorn engine
 * (emulator/vcpu-set.ts), so each has its own registers, its own CR3 or TTBRs, and its own cache
 * of translated code.
 *
 *   registers   read and written at full width in this vCPU's engine, whatever its power state:
 *               a vCPU that is off holds what its engine was reset to (or what it had when it
 *               powered itself off), and a write is kept; starting it (PSCI CPU_ON, the x86
 *               wakeup mailbox) then sets only what the start sets (pc, and x0 on arm64)
 *   memory      DebugMemory over the vCPU's own paging state: guest-virtual addresses are
 *               walked in ITS tables (side-effect free, debug-memory.ts)
 *   code        dropOwnCode forgets the translated code this engine holds for a range, so a
 *               patched instruction or a new breakpoint is what it runs next
 *
 * Invariant: nothing here changes a page-table entry, the event stream or the schedule.
 */
import { gpa, gva, pageAlignDown } from '../../mmu/addr.js';
import type { GuestPaging } from '../../mmu/guest-walk/index.js';
import { forEachPage } from '../../mmu/page-pieces.js';
import type { NestedVm } from '../nested-vm.js';
import type { Unicorn } from '../unicorn/unicorn.js';
import { DebugMemory } from './debug-memory.js';

export class VcpuDebug {
  /** Null without the nested layer (a Machine built with an injected translator). */
  readonly memory: DebugMemory | null;

  constructor(
    readonly id: number,
    readonly uc: Unicorn,
    private readonly vm: NestedVm | null,
    paging: () => GuestPaging | null,
    /** Drop translated code over a range in every vCPU's engine (MachineDebug.dropCode). */
    private readonly dropCode: (va: number, len: number) => void,
  ) {
    this.memory = vm === null ? null : new DebugMemory(vm, paging);
  }

  /** One register by its engine name (emulator/unicorn/registers.ts), full width. */
  reg(name: string): bigint {
    return this.uc.regRead64(name);
  }

  /** Set a register; the vCPU's next slice starts from it. */
  setReg(name: string, value: bigint): void {
    this.uc.regWrite(name, BigInt.asUintN(64, value));
  }

  /** Write guest memory by this vCPU's guest-virtual address; false when it does not resolve. */
  write(va: number, bytes: Uint8Array): boolean {
    const ok = this.memory?.write(va, bytes) ?? false;
    if (ok) this.dropCode(va, bytes.length);
    return ok;
  }

  /*
   * Drop this engine's translated code covering [va, va + len) (uc_ctl TB_REMOVE_CACHE). The
   * engine finds the code through a TLB fill of va, which would fault a page in, so it is asked
   * only for pages that have a nested leaf: code can only have been translated from a page some
   * vCPU fetched. (A full flush is never made: in Unicorn 2.1.1 the first one costs seconds.)
   */
  dropOwnCode(va: number, len: number): void {
    forEachPage(va, len, (at, _done, n) => {
      const g = this.memory?.gvaToGpa(gva(at)) ?? null;
      if (this.memory === null || (g !== null && this.vm!.vmspace.gpt.lookup(gpa(pageAlignDown(g))) !== null))
        this.uc.removeCache(at, at + n);
      return undefined;
    });
  }
}
