/*
 * arm64 vCPU: starts at EL1 with the MMU off (SCTLR_EL1.M = 0), pc at the entry, sp at the top of
 * guest RAM.
 *
 * Unicorn hands every guest exception to UC_HOOK_INTR and never to the guest's vectors (DESIGN
 * §1). Two of them are calls, not errors:
 *
 *   intno 1 (UNDEFINED), pc on the instruction:
 *     HVC #0          1101 0100 000 imm16 000 10   PSCI call (w0 = function id), psci.ts
 *     HLT #0xf000     1101 0100 010 imm16 000 00   semihosting call (w0 = op, x1 = param)
 *
 *   intno 11 (HVC), pc already past the instruction: the same PSCI call, as it arrives when
 *     SCR_EL3.HCE is set (Unicorn resets it clear, so normally hvc is UNDEFINED; both are handled)
 *
 * Guest paging: on once SCTLR_EL1.M is set; the stage-1 configuration comes from TTBR0_EL1,
 * TTBR1_EL1, TCR_EL1, SCTLR_EL1.WXN and PSTATE.PAN; privilege from CurrentEL (EL0 = user).
 *
 * A call that returns sets x0 and leaves pc on the next instruction; a call that stops
 * (SYSTEM_OFF, SYS_EXIT) asks the machine to stop. Every other exception stops the guest with a
 * fault naming it.
 */
import { arm64ConfigFromRegs, arm64MmuEnabled } from '../mmu/guest-walk/arm64-walk.js';
import type { GuestPaging } from '../mmu/guest-walk/guest-paging.js';
import { newWord64 } from '../mmu/guest-walk/guest-phys.js';
import { EXIT_FAULT } from './stop-reason.js';
import { psciCall, type CallOutcome } from './devices/psci.js';
import { SEMIHOST_HLT_IMM, semihostCall } from './devices/semihosting.js';
import type { VcpuArch, VcpuHost } from './vcpu.js';
import type { Unicorn } from './unicorn/unicorn.js';

/* QEMU's EXCP_* numbers as Unicorn reports them in intno. */
const EXCEPTIONS: Record<number, string> = {
  1: 'an undefined instruction',
  2: 'svc (supervisor call)',
  3: 'a prefetch abort',
  4: 'a data abort',
  5: 'an IRQ',
  6: 'an FIQ',
  7: 'a breakpoint (brk)',
  11: 'hvc',
  12: 'a hypervisor trap',
  13: 'smc',
};
export const EXCP_UDEF = 1;
export const EXCP_HVC = 11;

/* Encodings: fixed bits under a mask, imm16 in bits 20:5. */
const IMM16_MASK = 0xffe0_001f;
const HVC_BITS = 0xd400_0002;
const HLT_BITS = 0xd440_0000;
const imm16 = (word: number): number => (word >>> 5) & 0xffff;

export const isHvc = (word: number): boolean => (word & IMM16_MASK) >>> 0 === HVC_BITS;
export const isSemihostHlt = (word: number): boolean =>
  (word & IMM16_MASK) >>> 0 === HLT_BITS && imm16(word) === SEMIHOST_HLT_IMM;

function complete(uc: Unicorn, pc: number, outcome: CallOutcome): void {
  if (outcome.kind === 'stopped') return;
  uc.regWrite('x0', BigInt(outcome.x0));
  uc.regWrite('pc', pc + 4);
}

/* A PSCI call from the registers: w0 the id, x1..x3 the arguments (x2, x3 for the SMP calls). */
function psci(uc: Unicorn, host: VcpuHost): CallOutcome {
  const cpus = host.cpus;
  const smp = cpus === undefined ? undefined : { x2: uc.regRead('x2'), x3: uc.regRead64('x3'), cpus };
  return psciCall(uc.regRead('x0') >>> 0, uc.regRead('x1'), host, smp);
}

function onException(uc: Unicorn, host: VcpuHost, intno: number): void {
  const pc = uc.regRead('pc');
  if (intno === EXCP_UDEF) {
    const word = host.fetchWord(pc);
    if (word !== null && isHvc(word) && imm16(word) === 0) {
      complete(uc, pc, psci(uc, host));
      return;
    }
    if (word !== null && isSemihostHlt(word)) {
      complete(uc, pc, semihostCall(uc.regRead('x0') >>> 0, uc.regRead('x1'), host));
      return;
    }
    const what = word === null ? '' : ` 0x${word.toString(16).padStart(8, '0')}`;
    host.stop({
      reason: 'fault',
      code: EXIT_FAULT,
      message: `guest executed an undefined instruction${what}`,
    });
    return;
  }
  if (intno === EXCP_HVC) {
    const word = host.fetchWord(pc - 4);
    if (word !== null && isHvc(word) && imm16(word) === 0) {
      complete(uc, pc - 4, psci(uc, host));
      return;
    }
  }
  const name = EXCEPTIONS[intno] ?? `exception ${intno}`;
  host.stop({
    reason: 'fault',
    code: EXIT_FAULT,
    message: `guest raised ${name} (nestvm delivers no guest exceptions)`,
  });
}

export const arm64Vcpu: VcpuArch = {
  arch: 'arm64',

  reset(uc: Unicorn, entry: number, stackTop: number): void {
    uc.regWrite('pc', entry);
    uc.regWrite('sp', stackTop);
  },

  install(uc: Unicorn, host: VcpuHost): void {
    uc.hookIntr((intno) => onException(uc, host, intno));
  },

  earlyEnd(): { reason: 'halt'; code: number; message: string } {
    return { reason: 'halt', code: 0, message: 'guest executed wfi' };
  },

  paging(uc: Unicorn): GuestPaging | null {
    uc.regReadHalves('sctlr_el1', words.sctlr);
    if (!arm64MmuEnabled(words.sctlr.lo)) return null; // the common case costs one register read
    uc.regReadHalves('ttbr0_el1', words.ttbr0);
    uc.regReadHalves('ttbr1_el1', words.ttbr1);
    uc.regReadHalves('tcr_el1', words.tcr);
    const pan = ((uc.regRead('pstate') >>> PSTATE_PAN_BIT) & 1) === 1;
    const cfg = arm64ConfigFromRegs(words.ttbr0, words.tcr, words.sctlr.lo, words.ttbr1, pan);
    return { arch: 'arm64', cfg };
  },

  user(uc: Unicorn): boolean {
    return uc.regRead('currentel') === 0;
  },
};

/* PSTATE.PAN is bit 22 of the PSTATE value Unicorn reads. */
const PSTATE_PAN_BIT = 22;
/* Scratch for 64-bit system registers read as halves (the configuration copies what it needs). */
const words = { sctlr: newWord64(), ttbr0: newWord64(), ttbr1: newWord64(), tcr: newWord64() };
