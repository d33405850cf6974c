/*
 * Each x86-64 vCPU's own APIC ID, as CPUID reports it (--cpus N > 1): vCPU i has APIC ID i.
 *
 *   leaf 1     EAX 0x663, ECX 0x8000_2001, EDX 0x078b_fbfd (what Unicorn's own CPU model answers),
 *              EBX = APIC ID << 24 | logical processors (N) << 16 | CLFLUSH line size in 8 bytes (8 << 8)
 *   leaf 0xB   subleaf 0: EAX 0, EBX 1, ECX 0x100 (level 0, type SMT); other subleaves EBX 0, ECX = subleaf;
 *              EDX = the x2APIC ID (= APIC ID) at every subleaf
 *   others     the engine's own CPUID
 *
 * The hook is one per engine (Unicorn's UC_HOOK_INSN for CPUID); a Machine of one vCPU installs
 * none, so its CPUID is the engine's, as before SMP existed.
 */
import type { Unicorn } from '../unicorn/unicorn.js';

const LEAF1 = { eax: 0x663, ecx: 0x8000_2001, edx: 0x078b_fbfd };
const CLFLUSH_8X8 = 8 << 8;

/** The four results of the leaves nestvm answers for vCPU `id` of `count`, or null for the engine's own. */
export function cpuidFor(
  leaf: number,
  subleaf: number,
  id: number,
  count: number,
): { eax: number; ebx: number; ecx: number; edx: number } | null {
  if (leaf === 1) return { ...LEAF1, ebx: ((id << 24) | (count << 16) | CLFLUSH_8X8) >>> 0 };
  if (leaf === 0xb)
    return subleaf === 0
      ? { eax: 0, ebx: 1, ecx: 0x100, edx: id }
      : { eax: 0, ebx: 0, ecx: subleaf & 0xff, edx: id };
  return null;
}

export function installApicId(uc: Unicorn, id: number, count: number): void {
  uc.hookTable.cpuid(() => {
    const r = cpuidFor(uc.regRead('rax') >>> 0, uc.regRead('rcx') >>> 0, id, count);
    if (r === null) return false;
    uc.regWrite('rax', r.eax);
    uc.regWrite('rbx', r.ebx);
    uc.regWrite('rcx', r.ecx);
    uc.regWrite('rdx', r.edx);
    return true;
  });
}
