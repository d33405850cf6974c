/*
 * The guest's state apart from its RAM: what a snapshot (snapshot.ts) and a migration's
 * stop-and-copy carry besides pages. Four parts, none of which names a host frame, a table or a
 * nested format, so the state applies to a Machine with any host layout, format or host memory:
 *
 *   vcpus         one entry per vCPU, by id (vCPU 0 first; one entry without --cpus): its power
 *                 state (on, off, halted), the instructions it has begun, the turns it was given,
 *                 and its registers: every register the guest can see or that steers its paging
 *                 and exceptions, each by its engine name (emulator/unicorn/registers.ts) with
 *                 its raw little-endian bytes (8 for a plain register, 16 for XMM / Q, 10 for
 *                 ST, 24 for GDTR / IDTR). VCPU_STATE lists them per architecture in the order
 *                 apply writes them, which matters:
 *                   x86-64   segment selectors before FS/GS base (loading a selector reloads
 *                            its base); EFER, CR4 and CR3 before CR0 (PG takes effect with the
 *                            others in place); the x87 status word before ST0-7 (TOP decides
 *                            which physical register ST0 is);
 *                   arm64    PSTATE first (the exception level, SPSel), then the banked SP_EL0
 *                            and SP_EL1, and only then SP, which is the stack pointer of the
 *                            level PSTATE names: the engine keeps SP_ELn of the current level
 *                            stale until it switches, so writing all three as read reproduces it.
 *                 A register is written only when it differs from the engine's: the engine checks
 *                 a loaded x86 selector against the GDT (nestvm guests run flat and never load
 *                 one), and a write of arm64 SCR_EL3 sets its RES1 bits, which Unicorn's reset
 *                 value has clear.
 *   schedule      where the round-robin stands (vcpu-set.ts): the quantum, the vCPU that had the
 *                 last turn and what it is still owed (Infinity: unbounded, one vCPU). The power
 *                 calls (PSCI CPU_ON / CPU_OFF, smp/psci-power.ts) and the wakeup mailbox
 *                 (smp/mp-wakeup.ts) keep no state of their own: what they did is in the power
 *                 states and registers, and the mailbox's command is in guest RAM.
 *   devices       each SavedDevice's words (emulator/devices/device.ts) by device name: the
 *                 16550's line control, the DMA engine's register file. Devices without state
 *                 (debugcon, isa-debug-exit, PL011, PSCI, semihosting) are not listed.
 *   run           the instructions begun so far (the Machine's exact count) and the console text
 *                 printed so far.
 *
 * Not kept, because nestvm's engine never leaves it anywhere else than its reset value: x86
 * debug registers and MSRs other than EFER, AVX upper halves; arm64 EL2/EL3 state other than
 * SCR_EL3. What the host did (fills, faults, frames, the kicks of each vCPU) is the host's and
 * starts afresh.
 *
 * Invariants: capture reads, never writes; apply checks the architecture, every register name and
 * every device, the vCPU count and the quantum before it writes anything, so a state that cannot
 * be this machine's changes nothing (a GuestStateError).
 */
import type { Arch } from '../arch.js';
import type { SavedDevice } from '../devices/device.js';
import type { StopCause } from '../stop-cause.js';
import type { CoreProgress, PowerState, SchedulePosition, VcpuSet } from '../vcpu-set.js';

/** One register's value as the engine reads it: raw little-endian bytes. */
export interface SavedRegister {
  readonly name: string;
  readonly value: Uint8Array;
}

export interface SavedDeviceState {
  readonly name: string;
  readonly words: readonly number[];
}

/** One vCPU in a state: its progress in the round-robin and its registers. */
export interface SavedVcpu extends CoreProgress {
  readonly registers: readonly SavedRegister[];
}

export interface GuestState {
  readonly arch: Arch;
  /** Guest instructions begun so far (Machine.instructions). */
  readonly instructions: number;
  /** Every vCPU, by id. */
  readonly vcpus: readonly SavedVcpu[];
  readonly schedule: SchedulePosition;
  readonly devices: readonly SavedDeviceState[];
  /** Everything the guest printed before the state was taken. */
  readonly console: string;
}

/** What capture and apply need of the vCPU: its registers as raw bytes, and its translated code. */
export interface VcpuAccess {
  regReadRaw(name: string): Uint8Array;
  regWriteRaw(name: string, value: Uint8Array): void;
  /** Drop every translated block (guest code may have changed under it). */
  flushTb(): void;
}

/** What a Machine hands over to capture or apply its state. */
export interface GuestStateParts {
  readonly arch: Arch;
  /** The vCPUs, each with its engine (VcpuAccess). */
  readonly cpus: VcpuSet;
  /** What a halt records (the architecture's hlt / wfi), for a state with a halted vCPU. */
  readonly halted: StopCause;
  readonly devices: readonly SavedDevice[];
  readonly instructions: number;
  readonly console: string;
  /** The Machine's stop reason once the guest has stopped (its state is then no longer one to take or replace). */
  readonly final: object | null;
  /** TLB fills so far: none means no engine ever translated code, so there is none to drop. */
  readonly fillCount: number;
}

export class GuestStateError extends Error {
  override name = 'GuestStateError';
}

const range = (n: number, f: (i: number) => string): string[] => Array.from({ length: n }, (_, i) => f(i));

/** The registers kept, per architecture, in the order apply writes them. */
export const VCPU_STATE: Record<Arch, readonly string[]> = {
  x86_64: [
    ...['cs', 'ds', 'es', 'fs', 'gs', 'ss', 'fs_base', 'gs_base', 'gdtr', 'idtr'],
    ...['efer', 'cr4', 'cr3', 'cr0', 'cr2'],
    ...['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'rsp'],
    ...range(8, (i) => `r${i + 8}`),
    ...['rip', 'rflags'],
    ...['fpcw', 'fpsw', ...range(8, (i) => `st${i}`), 'fptag', 'mxcsr'],
    ...range(16, (i) => `xmm${i}`),
  ],
  arm64: [
    ...['pstate', 'sp_el0', 'sp_el1', 'scr_el3', 'cpacr_el1'],
    ...['sctlr_el1', 'tcr_el1', 'ttbr0_el1', 'ttbr1_el1', 'mair_el1', 'vbar_el1'],
    ...['elr_el1', 'spsr_el1', 'esr_el1', 'far_el1'],
    ...range(31, (i) => `x${i}`),
    ...['sp', 'pc', 'tpidr_el0', 'tpidrro_el0', 'tpidr_el1', 'fpcr', 'fpsr'],
    ...range(32, (i) => `q${i}`),
  ],
};

/** The guest's state now (between slices): registers, devices, count and console. */
export function captureGuestState(parts: GuestStateParts): GuestState {
  if (parts.final !== null) throw new GuestStateError('the guest has stopped: there is no state to take');
  return {
    arch: parts.arch,
    instructions: parts.instructions,
    vcpus: parts.cpus.cores.map((c) => ({
      ...{ power: c.power, insns: c.insns, turns: c.turns },
      registers: VCPU_STATE[parts.arch].map((name) => ({ name, value: c.uc.regReadRaw(name) })),
    })),
    schedule: parts.cpus.position(),
    devices: parts.devices.map((d) => ({ name: d.name, words: d.saveState() })),
    console: parts.console,
  };
}

/** Check that `state` can be this machine's; a GuestStateError saying why not. */
function checkFits(state: GuestState, parts: GuestStateParts): void {
  if (parts.final !== null) throw new GuestStateError('the guest has stopped: it cannot take a state');
  if (state.arch !== parts.arch)
    throw new GuestStateError(`the state is of an ${state.arch} guest, the machine is ${parts.arch}`);
  checkVcpus(state, parts);
  const devs = state.devices.map((d) => d.name).join(',');
  if (devs !== parts.devices.map((d) => d.name).join(','))
    throw new GuestStateError(`the state's devices (${devs || 'none'}) are not this machine's`);
  if (!Number.isSafeInteger(state.instructions) || state.instructions < 0)
    throw new GuestStateError(`instruction count ${state.instructions} is not a count`);
}

const POWER: readonly PowerState[] = ['on', 'off', 'halted'];
const isCount = (n: number) => Number.isSafeInteger(n) && n >= 0;

/* The vCPUs and the schedule: as many as the machine has, the same quantum, each well formed. */
function checkVcpus(state: GuestState, parts: GuestStateParts): void {
  const { count, quantum } = parts.cpus;
  if (state.vcpus.length !== count)
    throw new GuestStateError(`the state has ${state.vcpus.length} vCPUs, the machine ${count} (--cpus)`);
  const at = state.schedule;
  if (at.quantum !== quantum)
    throw new GuestStateError(`the state's quantum is ${at.quantum}, the machine's ${quantum} (--quantum)`);
  if (!Number.isInteger(at.current) || at.current < 0 || at.current >= count || !(at.owed >= 0))
    throw new GuestStateError("the state's schedule position is not one of this machine");
  const want = VCPU_STATE[parts.arch];
  for (const v of state.vcpus) {
    const names = v.registers.map((r) => r.name);
    if (names.length !== want.length || names.some((n, i) => n !== want[i]))
      throw new GuestStateError(`the state's registers are not the ${parts.arch} vCPU's`);
    if (!POWER.includes(v.power) || !isCount(v.insns) || !isCount(v.turns))
      throw new GuestStateError("a vCPU's power state or counts in the state are corrupt");
  }
}

/**
 * Put `state` into the machine's vCPUs and devices (the Machine takes the count and the console
 * itself, and flushes its TLB), and drop the engine's translated code if it has any. Throws GuestStateError, having
 * changed nothing, when it cannot be this machine's.
 */
export function applyGuestState(state: GuestState, parts: GuestStateParts): void {
  checkFits(state, parts);
  const fresh = parts.devices.map((d) => d.saveState());
  parts.devices.forEach((d, i) => {
    if (!d.loadState(state.devices[i].words)) {
      parts.devices.forEach((back, j) => j < i && back.loadState(fresh[j]));
      throw new GuestStateError(`the state of device ${d.name} does not fit it`);
    }
  });
  // Code an engine translated before may be stale now; dropping it all costs seconds in Unicorn
  // 2.1.1 (uc_ctl TB_FLUSH), so only an engine that ever translated code (ran, filled a TLB) pays.
  const translated = parts.cpus.cores.map((c) => parts.fillCount > 0 && (c.id === 0 || c.turns > 0));
  state.vcpus.forEach((v, i) => {
    const vcpu: VcpuAccess = parts.cpus.cores[i].uc;
    for (const r of v.registers) {
      if (sameBytes(vcpu.regReadRaw(r.name), r.value)) continue; // see the essay
      vcpu.regWriteRaw(r.name, r.value);
    }
    if (translated[i]) vcpu.flushTb();
  });
  parts.cpus.resume(state.schedule, state.vcpus, parts.halted);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
