/*
 * Building a Machine's vCPUs (--cpus N): vCPU 0 takes the Machine's first engine, the NestedVm's
 * "vcpu0" client and the NestedMmu the memory path built; every other vCPU gets an engine of its
 * own over the same host RAM, a client of its own ("vcpu1", ...) on the same vmspace, and a
 * NestedMmu over that client (machine-memory.ts, vcpuMmu). With N > 1, arm64 engines answer
 * PSCI's power calls (psci-power.ts) and x86-64 engines report their own APIC ID (apic-id.ts)
 * and are started through the wakeup mailbox (mp-wakeup.ts).
 *
 * Invariant: a failure part way closes every engine already opened, so none is left behind.
 */
import type { NestedMmu } from '../nested-mmu.js';
import type { NestedVm } from '../nested-vm.js';
import type { EngineWiring } from '../machine-engine.js';
import { vcpuMmu, type MemoryPathContext } from '../machine-memory.js';
import type { Translator } from '../translator.js';
import type { Unicorn } from '../unicorn/unicorn.js';
import { VcpuSet } from '../vcpu-set.js';
import { MpWakeup } from './mp-wakeup.js';
import { psciPower } from './psci-power.js';

export interface VcpuParts {
  readonly count: number;
  readonly quantum: number;
  readonly vm: NestedVm | null;
  /** vCPU 0's fill path, as the memory path built it. */
  readonly mmu: NestedMmu | null;
  readonly translator: Translator;
  readonly ctx: MemoryPathContext;
  /** Open one engine wired to the Machine (with this vCPU's SMP part, when N > 1). */
  readonly open: (smp: EngineWiring['smp']) => Unicorn;
}

export function buildVcpus(p: VcpuParts): { set: VcpuSet; wakeup: MpWakeup | null } {
  const { count, vm, ctx } = p;
  if (count > 1 && vm === null) throw new RangeError('several vCPUs need the nested paging layer');
  const set = new VcpuSet(count, p.quantum);
  const ram = { base: ctx.ramBase, bytes: ctx.memBytes };
  const power = count > 1 && ctx.arch === 'arm64' ? psciPower(set, ram) : undefined;
  try {
    for (let id = 0; id < count; id++) {
      const client = id === 0 ? (vm?.vcpuClient ?? null) : vm!.vmspace.createClient(`vcpu${id}`);
      const mmu = id === 0 ? p.mmu : vcpuMmu(vm!, client!, ctx);
      const uc = p.open(count > 1 ? { id, count, cpus: power } : undefined);
      set.add({ id, uc, client, mmu, translator: mmu ?? p.translator });
    }
  } catch (e) {
    for (const c of set.cores) c.uc.close();
    throw e;
  }
  const wakeup = count > 1 && ctx.arch === 'x86_64' ? new MpWakeup(vm!, set) : null;
  return { set, wakeup };
}
