/*
 * PSCI's power calls (devices/psci.ts decoding, smp/psci-power.ts acting on the vCPUs) and the
 * APIC IDs CPUID reports (smp/apic-id.ts), without an engine: the vCPUs' engines are stand-ins
 * that record the registers written.
 */
import { describe, expect, it } from 'vitest';
import type { DeviceHost } from '../../../emulator/devices/device.js';
import {
  PSCI_AFFINITY_INFO,
  PSCI_CPU_OFF,
  PSCI_CPU_ON,
  PSCI_FEATURES,
  PSCI_NOT_SUPPORTED,
  psciCall,
} from '../../../emulator/devices/psci.js';
import { cpuidFor } from '../../../emulator/smp/apic-id.js';
import { coreOfMpidr, psciPower } from '../../../emulator/smp/psci-power.js';
import type { Unicorn } from '../../../emulator/unicorn/unicorn.js';
import { VcpuSet } from '../../../emulator/vcpu-set.js';

const RAM = { base: 0x4000_0000, bytes: 0x100_0000 };

function cpus(count: number) {
  const set = new VcpuSet(count, 100);
  const regs: Record<string, unknown>[] = [];
  const stops: number[] = [];
  for (let id = 0; id < count; id++) {
    regs.push({});
    const uc = { regWrite: (r: string, v: unknown) => (regs[id][r] = v), emuStop: () => stops.push(id) };
    set.add({ id, uc: uc as unknown as Unicorn, client: null, mmu: null, translator: {} as never });
  }
  return { set, regs, stops, power: psciPower(set, RAM) };
}

const host = {} as DeviceHost;
const call = (fn: number, x1: number, x2: number, x3: bigint, power: ReturnType<typeof cpus>['power']) =>
  psciCall(fn, x1, host, { x2, x3, cpus: power });

describe('PSCI power calls', () => {
  it('CPU_ON starts an off CPU at its entry with x0 = the context id; again: ALREADY_ON', () => {
    const c = cpus(4);
    expect(call(PSCI_CPU_ON, 2, 0x4008_1000, 0x1234_5678_9abcn, c.power)).toEqual({ kind: 'return', x0: 0 });
    expect(c.set.cores.map((k) => k.power)).toEqual(['on', 'off', 'on', 'off']);
    expect(c.regs[2]).toEqual({ pc: 0x4008_1000, x0: 0x1234_5678_9abcn });
    expect(call(PSCI_CPU_ON, 2, 0x4008_1000, 0n, c.power)).toEqual({ kind: 'return', x0: -4 });
    expect(call(0x8400_0003, 0, 0x4008_1000, 0n, c.power)).toEqual({ kind: 'return', x0: -4 }); // 32-bit id
  });

  it('CPU_ON refuses a CPU that does not exist and an entry outside RAM', () => {
    const c = cpus(2);
    expect(call(PSCI_CPU_ON, 2, 0x4008_0000, 0n, c.power)).toEqual({ kind: 'return', x0: -2 });
    expect(call(PSCI_CPU_ON, 0x100, 0x4008_0000, 0n, c.power)).toEqual({ kind: 'return', x0: -2 }); // Aff1
    expect(call(PSCI_CPU_ON, 1, 0x1000, 0n, c.power)).toEqual({ kind: 'return', x0: -9 });
    expect(call(PSCI_CPU_ON, 1, 0x4008_0002, 0n, c.power)).toEqual({ kind: 'return', x0: -9 });
    expect(coreOfMpidr(0x8000_0001, 2)).toBe(1); // bit 31 (RES1 in MPIDR_EL1) is not affinity
  });

  it('AFFINITY_INFO says ON or OFF; CPU_OFF stops the caller and turns it off', () => {
    const c = cpus(2);
    expect(call(PSCI_AFFINITY_INFO, 1, 0, 0n, c.power)).toEqual({ kind: 'return', x0: 1 });
    expect(call(PSCI_AFFINITY_INFO, 0, 0, 0n, c.power)).toEqual({ kind: 'return', x0: 0 });
    expect(call(PSCI_AFFINITY_INFO, 0, 1, 0n, c.power)).toEqual({ kind: 'return', x0: -2 });
    c.set.next(); // vCPU 0's turn
    expect(call(PSCI_CPU_OFF, 0, 0, 0n, c.power)).toEqual({ kind: 'stopped' });
    expect([c.set.cores[0].power, c.stops]).toEqual(['off', [0]]);
  });

  it('FEATURES names the power calls only with several vCPUs', () => {
    const c = cpus(2);
    expect(call(PSCI_FEATURES, PSCI_CPU_ON, 0, 0n, c.power)).toEqual({ kind: 'return', x0: 0 });
    expect(psciCall(PSCI_FEATURES, PSCI_CPU_ON, host)).toEqual({ kind: 'return', x0: PSCI_NOT_SUPPORTED });
  });
});

describe('CPUID APIC IDs', () => {
  it("leaf 1 EBX[31:24] and leaf 0xB EDX are the vCPU id; other leaves are the engine's", () => {
    expect(cpuidFor(1, 0, 3, 4)!.ebx >>> 24).toBe(3);
    expect((cpuidFor(1, 0, 3, 4)!.ebx >>> 16) & 0xff).toBe(4);
    expect(cpuidFor(0xb, 0, 5, 8)!.edx).toBe(5);
    expect(cpuidFor(0xb, 1, 5, 8)!.edx).toBe(5);
    expect(cpuidFor(0, 0, 1, 2)).toBeNull();
  });
});
