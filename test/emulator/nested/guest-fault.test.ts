/*
 * A guest page fault (the guest's OWN tables refuse an access) stops the guest with the GVA and the
 * level of its tables that failed: Unicorn cannot deliver the exception to the guest's handler.
 * Both guests below turn paging on with an empty top-level table, so the very next fetch faults.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../../emulator/asm/index.js';
import { LAYOUT } from '../../../emulator/arch.js';
import { loadGuestBytes } from '../../../emulator/loaders/index.js';
import { Machine } from '../../../emulator/machine.js';

const X86 = `
start:
  mov rax, 0x300000        ; an all-zero PML4
  mov cr3, rax
  mov rax, cr4
  or rax, 0x20             ; PAE
  mov cr4, rax
  mov ecx, 0xC0000080      ; EFER.LME
  rdmsr
  or eax, 0x100
  wrmsr
  mov rax, cr0
  or eax, 0x80000000       ; PG
  mov cr0, rax
  nop
  hlt
`;

const ARM64 = `
start:
  movz x0, #0x4030, lsl #16   // an all-zero level-0 table at 0x40300000
  msr ttbr0_el1, x0
  mov x1, #16                 // T0SZ = 16: 48-bit VA, 4 KiB granule
  msr tcr_el1, x1
  isb
  mrs x2, sctlr_el1
  orr x2, x2, #1              // M
  msr sctlr_el1, x2
  isb
  nop
  hvc #0
`;

describe.each([
  ['x86_64', X86, /level 4 of the guest's tables, error code 0x0/],
  ['arm64', ARM64, /level 0 of the guest's tables, fault status 0x4/],
] as const)('a guest page fault on %s', (arch, source, detail) => {
  it.each(['ept', 'npt', 's2'] as const)('stops with the GVA and the level (%s)', async (format) => {
    const memBytes = 16 << 20;
    const code = await assemble(arch, `; arch: ${arch}\n${source}`, LAYOUT[arch].defaultLoad);
    const image = await loadGuestBytes(code.bytes, `pf-${arch}.bin`, {
      arch,
      memBytes,
      load: LAYOUT[arch].defaultLoad,
    });
    const m = new Machine(image, { memBytes, format, maxInsns: 1000 });
    const stop = m.run();
    m.close();
    expect(stop.reason).toBe('fault');
    expect(stop.code).toBe(4);
    expect(stop.message).toMatch(/guest page fault: not-present at guest-virtual 0x[0-9a-f]+ \(exec\)/);
    expect(stop.message).toMatch(detail);
  });
});
