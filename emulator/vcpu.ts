/*
 * The architecture-specific half of a vCPU: initial register state, the hooks that turn guest
 * exceptions and port I/O into device calls or stop reasons, and what it means when a run ends
 * early without anyone asking (x86 `hlt`; arm64 `wfi`), and the guest's paging state as the fill
 * hook's guest walk needs it (DESIGN §1 step 1). The Machine owns the run loop and the memory
 * path; a VcpuArch only talks to the engine through the binding and to the machine through
 * VcpuHost.
 */
import type { GuestPaging } from '../mmu/guest-walk/guest-paging.js';
import type { Arch } from './arch.js';
import type { DeviceHost } from './devices/device.js';
import type { PsciCpus } from './devices/psci.js';
import type { StopReason } from './stop-reason.js';
import type { Unicorn } from './unicorn/unicorn.js';

export interface VcpuHost extends DeviceHost {
  /** x86 port I/O, dispatched by the machine to its port devices (undecoded ports read all ones). */
  portRead(port: number, size: number): number;
  portWrite(port: number, size: number, value: number): void;
  /** The guest's 32-bit instruction word at `va` (arm64), or null if it does not translate. */
  fetchWord(va: number): number | null;
  /** The power calls of the machine's vCPUs (arm64 PSCI), only when it has more than one. */
  readonly cpus?: PsciCpus;
}

export interface VcpuArch {
  readonly arch: Arch;
  /** Registers at power-on: pc = entry, stack pointer = top of guest RAM. */
  reset(uc: Unicorn, entry: number, stackTop: number): void;
  /** Install the exception and I/O hooks. */
  install(uc: Unicorn, host: VcpuHost): void;
  /** The run ended before its budget with no stop requested and no engine error. */
  earlyEnd(uc: Unicorn): Omit<StopReason, 'pc'>;
  /**
   * The guest's own paging configuration now, from its registers, or null while guest paging is
   * off (guest-virtual = guest-physical). Cheap enough to call on every TLB fill.
   */
  paging(uc: Unicorn): GuestPaging | null;
  /** The vCPU runs at user privilege now (x86 CPL 3, arm64 EL0). */
  user(uc: Unicorn): boolean;
}
