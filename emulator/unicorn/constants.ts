/*
 * Numeric constants of the Unicorn 2.1 C API, transcribed from include/unicorn/unicorn.h, x86.h and
 * arm64.h of the 2.1 series. Nothing here is guessed: each value is the C enum position or macro,
 * and test/emulator/unicorn pins the register ids against the real library (a value written through
 * the API is read back by guest code, and the other way round), so a library whose enums moved
 * fails loudly instead of corrupting state.
 *
 * Only what nestvm uses is listed. Register ids live in registers.ts.
 */

/* uc_arch / uc_mode */
export const UC_ARCH_ARM64 = 2;
export const UC_ARCH_X86 = 4;
export const UC_MODE_ARM = 0; // also little-endian
export const UC_MODE_64 = 1 << 3;

/* uc_err: the names uc_strerror explains; kept for matching specific failures. */
export const UC_ERR_OK = 0;
export const UC_ERR_NOMEM = 1;
export const UC_ERR_READ_UNMAPPED = 6;
export const UC_ERR_WRITE_UNMAPPED = 7;
export const UC_ERR_FETCH_UNMAPPED = 8;
export const UC_ERR_HOOK = 9;
export const UC_ERR_INSN_INVALID = 10;
export const UC_ERR_MAP = 11;
export const UC_ERR_ARG = 15;
export const UC_ERR_EXCEPTION = 21;

/* uc_prot: permission bits of mappings and of a uc_tlb_entry (same values as mmu/prot.ts). */
export const UC_PROT_NONE = 0;
export const UC_PROT_READ = 1;
export const UC_PROT_WRITE = 2;
export const UC_PROT_EXEC = 4;
export const UC_PROT_ALL = 7;

/* uc_mem_type: the access kind handed to TLB-fill and memory hooks. */
export const UC_MEM_READ = 16;
export const UC_MEM_WRITE = 17;
export const UC_MEM_FETCH = 18;
export const UC_MEM_READ_UNMAPPED = 19;
export const UC_MEM_WRITE_UNMAPPED = 20;
export const UC_MEM_FETCH_UNMAPPED = 21;

/* uc_hook_type (bit set). */
export const UC_HOOK_INTR = 1 << 0;
export const UC_HOOK_INSN = 1 << 1;
export const UC_HOOK_CODE = 1 << 2;
export const UC_HOOK_BLOCK = 1 << 3;
export const UC_HOOK_MEM_READ_UNMAPPED = 1 << 4;
export const UC_HOOK_MEM_WRITE_UNMAPPED = 1 << 5;
export const UC_HOOK_MEM_FETCH_UNMAPPED = 1 << 6;
export const UC_HOOK_MEM_UNMAPPED =
  UC_HOOK_MEM_READ_UNMAPPED | UC_HOOK_MEM_WRITE_UNMAPPED | UC_HOOK_MEM_FETCH_UNMAPPED;
export const UC_HOOK_MEM_READ = 1 << 10;
export const UC_HOOK_MEM_WRITE = 1 << 11;
export const UC_HOOK_INSN_INVALID = 1 << 14;
export const UC_HOOK_TLB_FILL = 1 << 17;

/* x86 instruction ids for UC_HOOK_INSN (uc_x86_insn). */
export const UC_X86_INS_IN = 218;
export const UC_X86_INS_OUT = 500;
export const UC_X86_INS_CPUID = 113;

/*
 * uc_ctl control words:
 *
 *    31  30 29      26 25       16 15            0
 *   +------+----------+-----------+---------------+
 *   | R/W  | nr args  | reserved  | control type  |
 *   +------+----------+-----------+---------------+
 *
 * R/W: 1 = write (arguments are inputs), 2 = read. Built with ctlWrite() below.
 */
export const UC_CTL_IO_WRITE = 1;
/* Exits on: uc_emu_start's `until` is ignored and only the (empty) exit set ends a run. */
export const UC_CTL_UC_USE_EXITS = 4;
export const UC_CTL_TB_REMOVE_CACHE = 9;
export const UC_CTL_TB_FLUSH = 10;
export const UC_CTL_TLB_FLUSH = 11;
export const UC_CTL_TLB_TYPE = 12;
export const UC_TLB_CPU = 0;
export const UC_TLB_VIRTUAL = 1;

export const ctlWrite = (type: number, nargs: number): number =>
  type | (nargs << 26) | (UC_CTL_IO_WRITE << 30) | 0;

/* Lowest acceptable library version (uc_version packs major<<24 | minor<<16 | patch<<8 | extra). */
export const MIN_MAJOR = 2;
export const MIN_MINOR = 1;
