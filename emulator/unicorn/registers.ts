/*
 * Register names -> how to reach them through uc_reg_read/uc_reg_write.
 *
 * Three kinds of register exist in the Unicorn 2.1 API:
 *
 *   plain  an id from uc_x86_reg / uc_arm64_reg; the value is a uint64_t in memory
 *   msr    x86 model-specific register: id UC_X86_REG_MSR and a uc_x86_msr block
 *            +0  uint32 rid   (MSR number, e.g. 0xC000_0080 for EFER)
 *            +8  uint64 value
 *   pstate-field  a read-only field of arm64 PSTATE (CurrentEL), read as PSTATE & mask
 *   cp     arm64 system register reached by its encoding: id UC_ARM64_REG_CP_REG and a block
 *            +0 crn  +4 crm  +8 op0  +12 op1  +16 op2   (uint32 each)
 *            +24 uint64 val
 *   wide   an id whose value is wider than 64 bits, `bytes` long at +0, little-endian: x86 XMM
 *          (16), x87 ST (10), a uc_x86_mmr for GDTR/IDTR {uint16 selector; pad; uint64 base
 *          at +8; uint32 limit at +16; uint32 flags at +20} (24); arm64 Q (16). Only the raw
 *          accessors reach all of it (regReadRaw); regRead sees the low 64 bits.
 *
 * The ids are the C enum positions of the 2.1 headers (x86.h: RAX = 35 ... ; arm64.h: X0 = 199,
 * PC = 260, CP_REG = 290). Names are lower case as in the architecture manuals' assembler syntax
 * (x86: rax, cr3, efer; arm64: x0, sp, pc, sctlr_el1). Test pins every id against guest code.
 */
import type { Arch } from '../arch.js';

export type RegSpec =
  | { readonly kind: 'plain'; readonly id: number }
  | { readonly kind: 'msr'; readonly msr: number }
  | { readonly kind: 'pstate-field'; readonly id: number; readonly mask: number }
  | { readonly kind: 'wide'; readonly id: number; readonly bytes: number }
  | {
      readonly kind: 'cp';
      readonly op0: number;
      readonly op1: number;
      readonly crn: number;
      readonly crm: number;
      readonly op2: number;
    };

export const UC_X86_REG_MSR = 248;
export const UC_ARM64_REG_CP_REG = 290;

const plain = (id: number): RegSpec => ({ kind: 'plain', id });
const wide = (id: number, bytes: number): RegSpec => ({ kind: 'wide', id, bytes });
const cp = (op0: number, op1: number, crn: number, crm: number, op2: number): RegSpec => ({
  kind: 'cp',
  op0,
  op1,
  crn,
  crm,
  op2,
});

/* uc_x86_reg positions (x86.h). */
const X86: Record<string, RegSpec> = {
  rax: plain(35),
  rbp: plain(36),
  rbx: plain(37),
  rcx: plain(38),
  rdi: plain(39),
  rdx: plain(40),
  rip: plain(41),
  rsi: plain(43),
  rsp: plain(44),
  r8: plain(106),
  r9: plain(107),
  r10: plain(108),
  r11: plain(109),
  r12: plain(110),
  r13: plain(111),
  r14: plain(112),
  r15: plain(113),
  // EFLAGS reads the full flags register in 64-bit mode; the upper half is reserved (zero).
  rflags: plain(25),
  cs: plain(11),
  ds: plain(17),
  es: plain(28),
  fs: plain(32),
  gs: plain(33),
  ss: plain(49),
  cr0: plain(50),
  cr2: plain(52),
  cr3: plain(53),
  cr4: plain(54),
  efer: { kind: 'msr', msr: 0xc000_0080 },
  fs_base: plain(250),
  gs_base: plain(251),
  mxcsr: plain(249),
  fpcw: plain(246),
  fpsw: plain(31),
  fptag: plain(247),
  gdtr: wide(243, 24),
  idtr: wide(242, 24),
  ...Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`xmm${i}`, wide(122 + i, 16)])),
  ...Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`st${i}`, wide(114 + i, 10)])),
};

/* uc_arm64_reg positions (arm64.h, 2.1): X0..X28 = 199..227, X29 = 1, X30 = 2. */
const ARM64: Record<string, RegSpec> = (() => {
  const r: Record<string, RegSpec> = {};
  for (let i = 0; i <= 28; i++) r[`x${i}`] = plain(199 + i);
  r.x29 = plain(1);
  r.x30 = plain(2);
  r.nzcv = plain(3);
  r.sp = plain(4);
  r.pc = plain(260);
  r.pstate = plain(265);
  r.elr_el1 = plain(267);
  r.ttbr0_el1 = plain(274);
  r.ttbr1_el1 = plain(275);
  r.esr_el1 = plain(277);
  r.far_el1 = plain(281);
  r.mair_el1 = plain(285);
  r.vbar_el1 = plain(287);
  r.cpacr_el1 = plain(261);
  r.tpidr_el0 = plain(262);
  r.tpidrro_el0 = plain(263);
  r.tpidr_el1 = plain(264);
  r.sp_el0 = plain(270);
  r.sp_el1 = plain(271);
  r.fpcr = plain(291);
  r.fpsr = plain(292);
  for (let i = 0; i < 32; i++) r[`q${i}`] = wide(104 + i, 16);
  // No enum entry in 2.1: reached through CP_REG by (op0, op1, CRn, CRm, op2).
  r.sctlr_el1 = cp(3, 0, 1, 0, 0);
  r.tcr_el1 = cp(3, 0, 2, 0, 2);
  r.spsr_el1 = cp(3, 0, 4, 0, 0);
  r.scr_el3 = cp(3, 6, 1, 1, 0); // HCE (bit 8) decides how hvc arrives, see vcpu-arm64.ts
  // CurrentEL through CP_REG trips an assertion inside Unicorn 2.1.1 (raw_read without a field
  // offset) and aborts the process, so it is derived from PSTATE instead: EL is PSTATE bits 3:2,
  // exactly where CurrentEL keeps it. Read-only.
  r.currentel = { kind: 'pstate-field', id: 265, mask: 0b1100 };
  return r;
})();

export const REGISTERS: Record<Arch, Readonly<Record<string, RegSpec>>> = { x86_64: X86, arm64: ARM64 };

/** The registers a snapshot (Machine.regs()) shows, in display order. */
export const SNAPSHOT_REGS: Record<Arch, readonly string[]> = {
  x86_64: [
    'rax',
    'rbx',
    'rcx',
    'rdx',
    'rsi',
    'rdi',
    'rbp',
    'rsp',
    'r8',
    'r9',
    'r10',
    'r11',
    'r12',
    'r13',
    'r14',
    'r15',
    'rip',
    'rflags',
    'cr0',
    'cr2',
    'cr3',
    'cr4',
    'efer',
  ],
  arm64: [
    ...Array.from({ length: 31 }, (_, i) => `x${i}`),
    'sp',
    'pc',
    'nzcv',
    'currentel',
    'sctlr_el1',
    'tcr_el1',
    'ttbr0_el1',
    'ttbr1_el1',
    'mair_el1',
    'vbar_el1',
    'esr_el1',
    'far_el1',
    'elr_el1',
    'spsr_el1',
  ],
};

export const PC_REG: Record<Arch, string> = { x86_64: 'rip', arm64: 'pc' };
export const SP_REG: Record<Arch, string> = { x86_64: 'rsp', arm64: 'sp' };
