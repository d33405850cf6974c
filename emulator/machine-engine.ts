/*
 * The Machine's engine: one Unicorn opened over host RAM and wired to the Machine's hooks.
 *
 *   mode      virtual-TLB (Unicorn never translates a guest address itself: every miss of its
 *             software TLB calls the fill hook) with the `until` address switched off
 *             (useNoExits: otherwise pc 0, x86-64 RAM's first byte, would end every slice
 *             before its first instruction);
 *   memory    host RAM mapped once at host-physical 0 (uc_mem_map_ptr, no copy), and one MMIO
 *             aperture per device window above it;
 *   hooks     the TLB fill, each device's MMIO read and write, and the vCPU's own hooks (port
 *             I/O, exceptions), then the vCPU reset to the image's entry;
 *   entry     before each slice, enterTables flushes the engine's TLB if the vmspace's
 *             generation moved since the vCPU last ran.
 *
 * Device accesses made from the middle of an instruction run through `inside`, so the Machine
 * knows a stop requested there lands after the instruction (see instructionsLastRun).
 * Invariant: a failure while wiring closes the engine it opened, so no engine is left behind.
 */
import { PAGE_SIZE } from '../mmu/addr.js';
import type { EventSink } from '../mmu/events.js';
import { PROT_ALL, type AccessKind } from '../mmu/prot.js';
import type { VmClient } from '../mmu/vm/vm-client.js';
import type { Arch } from './arch.js';
import type { DeviceBus } from './device-bus.js';
import type { DeviceHost } from './devices/device.js';
import type { MachineEvent } from './events.js';
import type { HostRam } from './machine-memory.js';
import type { NestedMmu } from './nested-mmu.js';
import type { PsciCpus } from './devices/psci.js';
import { installApicId } from './smp/apic-id.js';
import type { DeviceWindow } from './translator.js';
import { UC_MEM_FETCH, UC_MEM_WRITE, UC_TLB_VIRTUAL } from './unicorn/constants.js';
import { Unicorn, type TlbFillHook } from './unicorn/unicorn.js';
import type { VcpuArch, VcpuHost } from './vcpu.js';

export interface EngineWiring {
  readonly arch: Arch;
  readonly ram: HostRam;
  readonly windows: readonly DeviceWindow[];
  readonly bus: DeviceBus;
  readonly vcpu: VcpuArch;
  readonly deviceHost: DeviceHost;
  readonly fill: TlbFillHook;
  readonly inside: <T>(fn: () => T) => T;
  /** An aligned 32-bit guest-virtual read for the vCPU's own decoding (semihosting, hvc). */
  readonly fetchWord: (va: number) => number | null;
  readonly entry: number;
  readonly stackTop: number;
  readonly counter?: 'hook' | 'block';
  /** With several vCPUs: this engine's vCPU and their count (x86 APIC ID, emulator/smp/apic-id.ts)... */
  readonly smp?: { readonly id: number; readonly count: number; readonly cpus?: PsciCpus };
}

export function openEngine(w: EngineWiring): Unicorn {
  const uc = Unicorn.open(w.arch, undefined, { counter: w.counter });
  try {
    uc.setTlbMode(UC_TLB_VIRTUAL);
    uc.useNoExits();
    uc.mapPtr(0, w.ram.buffer, PROT_ALL, w.ram.bytes);
    w.windows.forEach((win, i) => {
      const dev = w.bus.mmio[i];
      uc.mmioMap(
        win.hpa,
        win.size,
        (off, size) => w.inside(() => dev.read(off, size)),
        (off, size, v) => w.inside(() => dev.write(off, size, v)),
      );
    });
    uc.hookTlbFill(w.fill);
    const vcpuHost: VcpuHost = {
      ...w.deviceHost,
      portRead: (port, size) => w.inside(() => w.bus.portRead(port, size)),
      portWrite: (port, size, value) => w.inside(() => w.bus.portWrite(port, size, value)),
      fetchWord: w.fetchWord,
      ...(w.smp?.cpus === undefined ? {} : { cpus: w.smp.cpus }), // ...and arm64 PSCI's power calls
    };
    w.vcpu.install(uc, vcpuHost);
    if (w.smp !== undefined && w.arch === 'x86_64') installApicId(uc, w.smp.id, w.smp.count);
    w.vcpu.reset(uc, w.entry, w.stackTop);
    return uc;
  } catch (e) {
    uc.close();
    throw e;
  }
}

/*
 * Table enter (the seed's vmc_table_enter): record the vmspace generation for the vCPU; if the
 * record was older, some PTE lost rights since this vCPU last ran, so Unicorn's TLB (the
 * hardware TLB here) may hold a translation the tables no longer allow: flush it, as INVEPT /
 * INVLPGA / TLBI would. The vCPU's fill path (`mmu`) is told that an engine run begins, and
 * leaveTables tells it that the run has ended (NestedMmu.runBoundary: its paging-state reads).
 */
export function enterTables(
  client: VmClient | undefined,
  flushTlb: () => void,
  sink: EventSink<MachineEvent>,
  cpu: { cpu?: number } = {},
  mmu: NestedMmu | null = null,
): void {
  mmu?.runBoundary(true);
  if (!client) return;
  const e = client.tableEnter();
  if (e.mustFlush) flushTlb();
  if (sink.enabled) sink.emit({ type: 'vcpu-enter', generation: e.generation, flushed: e.mustFlush, ...cpu });
}

/** Table exit: the engine run has ended (see enterTables). */
export function leaveTables(client: VmClient | null, mmu: NestedMmu | null): void {
  mmu?.runBoundary(false);
  client?.tableExit();
}

/** A code page about to be translated from host-physical `hpa`: shown to the block counter (io-followers.ts). */
export function watchFetch(uc: Unicorn, ram: HostRam, va: number, hpa: number): void {
  if (uc.watchesCode && hpa + PAGE_SIZE <= ram.bytes)
    uc.watchCode(va, hpa, ram.u8.subarray(hpa, hpa + PAGE_SIZE));
}

/** Unicorn's access kinds (of a TLB fill) -> ours. */
export const accessOf = (memType: number): AccessKind =>
  memType === UC_MEM_FETCH ? 'exec' : memType === UC_MEM_WRITE ? 'write' : 'read';
