/*
 * One vCPU of a Machine as the CPU pane reads it (`tui --cpus N`): its registers, its guest paging
 * and privilege, its power state, its own instruction count and the disassembly window around its
 * own PC.
 *
 * Each vCPU is its own engine (emulator/vcpu-set.ts Core), so its registers are read from its
 * engine, not the Machine's (which is vCPU 0's between slices). Its guest-virtual addresses go
 * through its own paging registers: the disassembly reads guest bytes through a DebugMemory whose
 * dry walk uses this vCPU's tables (vCPU 0 uses the Machine's own reader), so a vCPU whose CR3 or
 * TTBR differs from vCPU 0's still shows its own code.
 *
 *   MachineTuiPort.show('cpu', i) ──► VcpuView i ──► regs(), paging(), disasm(), power
 *
 * Invariants: every reader is side-effect free (register reads, a dry walk); a view is read only
 * while its Machine is open (the port's readers are never called after close()).
 */
import type { Arch } from '../../emulator/arch.js';
import type { Disassembler } from '../../emulator/asm/disassemble.js';
import { DebugMemory } from '../../emulator/debug/debug-memory.js';
import type { Machine } from '../../emulator/machine.js';
import type { Core, PowerState } from '../../emulator/vcpu-set.js';
import type { GuestPaging } from '../../mmu/guest-walk/guest-paging.js';
import { x86Vcpu } from '../../emulator/vcpu-x86.js';
import { arm64Vcpu } from '../../emulator/vcpu-arm64.js';
import { memoDisasmWindow } from './disasm-window.js';
import type { DisasmLine, VcpuShown } from './model.js';
import { REGISTER_NAMES } from './model.js';

const ARCH_VCPU = { x86_64: x86Vcpu, arm64: arm64Vcpu } as const;
const PC: Record<Arch, string> = { x86_64: 'rip', arm64: 'pc' };

/** A vCPU's power state in the CPU pane's words. */
export const POWER_TEXT: Record<PowerState, string> = { on: 'running', off: 'powered off', halted: 'halted' };

export class VcpuView {
  private readonly disasmAt: (pc: number) => DisasmLine[];

  constructor(
    private readonly machine: Machine,
    private readonly core: Core,
    dis: Disassembler,
  ) {
    const reader =
      core.id === 0 || machine.vm === null
        ? machine.debug.memory!
        : new DebugMemory(machine.vm, () => this.paging());
    const read = (addr: number, len: number) => reader.read(addr, len);
    // vCPU 0's PC before the first instruction is the entry point, a known instruction boundary
    const entry = core.id === 0 ? this.pc() : undefined;
    this.disasmAt = memoDisasmWindow(dis, machine.arch, read, entry);
  }

  get id(): number {
    return this.core.id;
  }

  private pc(): number {
    return Number(this.core.uc.regRead64(PC[this.machine.arch]));
  }

  /** The registers the CPU pane lists (model.ts REGISTER_NAMES), from this vCPU's engine. */
  regs(): Record<string, bigint> {
    const out: Record<string, bigint> = {};
    for (const name of REGISTER_NAMES[this.machine.arch]) out[name] = this.core.uc.regRead64(name);
    return out;
  }

  paging(): GuestPaging | null {
    return ARCH_VCPU[this.machine.arch].paging(this.core.uc);
  }

  userMode(): boolean {
    return ARCH_VCPU[this.machine.arch].user(this.core.uc);
  }

  disasm(): DisasmLine[] {
    return this.disasmAt(this.pc());
  }

  /** What the CPU pane and the Holds pane say about it (several vCPUs only). */
  shown(): VcpuShown {
    const c = this.core;
    return {
      index: c.id,
      count: this.machine.cpus.count,
      power: POWER_TEXT[c.power],
      client: c.client?.id,
      instructions: c.insns,
    };
  }
}

/** One view per vCPU of a Machine, in order of id. */
export function vcpuViews(machine: Machine, dis: Disassembler): VcpuView[] {
  return machine.cpus.cores.map((c) => new VcpuView(machine, c, dis));
}
