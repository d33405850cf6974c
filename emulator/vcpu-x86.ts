/*
 * x86-64 vCPU: starts in 64-bit mode, flat segments, guest paging off. That is Unicorn's UC_MODE_64
 * reset state as the engine leaves it: EFER.LME and LMA set, CR0 = PE | ET with PG clear, CPL 0,
 * so guest-virtual equals guest-physical. paging() is read on TLB fills (nested-mmu.ts says
 * which): one CR0 read while PG is clear; once the guest sets CR0.PG (with CR4.PAE and EFER.LME) it returns the 4-level
 * configuration (CR3, CR0.WP, CR4.SMEP/SMAP, EFER.NXE, RFLAGS.AC) and the fill hook walks the
 * guest's tables (mmu/guest-walk/x86-walk.ts). user() is CPL 3, read from CS.RPL.
 *
 * Port I/O goes to the port devices; `hlt` ends Unicorn's run by itself (no hook sees it), which
 * the Machine observes as a run that ended early: reason 'halt', status 0.
 *
 * Guest exceptions reach only UC_HOOK_INTR (DESIGN §1), with the vector as intno; with no IDT
 * delivery in nestvm every one of them stops the guest with a fault naming the vector. An opcode
 * the CPU model cannot decode is not an exception in Unicorn but an engine error
 * (UC_ERR_INSN_INVALID), handled by the Machine.
 */
import type { GuestPaging } from '../mmu/guest-walk/guest-paging.js';
import { x86ConfigFromRegs, x86PagingEnabled } from '../mmu/guest-walk/x86-walk.js';
import { EXIT_FAULT } from './stop-reason.js';
import type { VcpuArch, VcpuHost } from './vcpu.js';
import type { Unicorn } from './unicorn/unicorn.js';

const VECTORS: Record<number, string> = {
  0: '#DE divide error',
  1: '#DB debug',
  2: 'NMI',
  3: '#BP breakpoint (int3)',
  4: '#OF overflow',
  5: '#BR bound range',
  6: '#UD invalid opcode',
  7: '#NM device not available',
  8: '#DF double fault',
  10: '#TS invalid TSS',
  11: '#NP segment not present',
  12: '#SS stack fault',
  13: '#GP general protection',
  14: '#PF page fault',
  16: '#MF x87 error',
  17: '#AC alignment check',
  18: '#MC machine check',
  19: '#XM SIMD error',
};

export const vectorName = (v: number): string => VECTORS[v] ?? `interrupt vector ${v}`;

export const x86Vcpu: VcpuArch = {
  arch: 'x86_64',

  reset(uc: Unicorn, entry: number, stackTop: number): void {
    uc.regWrite('rip', entry);
    uc.regWrite('rsp', stackTop);
  },

  install(uc: Unicorn, host: VcpuHost): void {
    uc.hookIn((port, size) => host.portRead(port, size));
    uc.hookOut((port, size, value) => host.portWrite(port, size, value));
    uc.hookIntr((intno) => {
      host.stop({
        reason: 'fault',
        code: EXIT_FAULT,
        message: `guest raised ${vectorName(intno)} (nestvm delivers no guest exceptions)`,
      });
    });
  },

  earlyEnd(): { reason: 'halt'; code: number; message: string } {
    return { reason: 'halt', code: 0, message: 'guest executed hlt' };
  },

  paging(uc: Unicorn): GuestPaging | null {
    const cr0 = uc.regRead('cr0');
    if ((cr0 & CR0_PG) === 0) return null; // the common case costs one register read
    const cr4 = uc.regRead('cr4');
    const efer = uc.regRead('efer');
    // In 64-bit mode PG without PAE cannot be set (the CPU raises #GP), so this is 4-level paging.
    if (!x86PagingEnabled(cr0, cr4, efer)) return null;
    const cfg = x86ConfigFromRegs(cr0, uc.regRead('cr3'), cr4, efer, uc.regRead('rflags'));
    return { arch: 'x86_64', cfg };
  },

  user(uc: Unicorn): boolean {
    return (uc.regRead('cs') & 3) === 3; // CPL = CS.RPL
  },
};

/* CR0.PG (bit 31). */
const CR0_PG = 0x8000_0000;
