/*
 * The nested fill path's own cost, without the engine: NestedMmu.translate called straight from
 * JavaScript (guest paging off, no koffi crossing), first over 102,400 fresh pages of a 420 MiB
 * guest (each fill a nested fault: GPT miss, vCPU client fault, vmspace lookup-and-map, leaf PTE
 * and PV entry, the retry), then over the same pages again (each a hit: GPT walk, Accessed, pins).
 * Then the engine call a Machine's fill makes besides its callback on a fetch, and on every fill
 * while the guest pages: reading CR0 (is the guest paging?) through the binding, 200,000 times
 * (a data fill of a run that found paging off skips it: emulator/nested-mmu.ts).
 *
 * Together with nested-faults.ts this splits a Machine's fault into parts: the bare callback (its
 * `bare` row), the register read, and the TypeScript fault or hit measured here. CPU time, per call.
 *
 * Run: node --import tsx bench/fault-path.ts
 */
import { NestedMmu } from '../emulator/nested-mmu.js';
import { NestedVm } from '../emulator/nested-vm.js';
import { Unicorn } from '../emulator/unicorn/unicorn.js';
import { gva } from '../mmu/addr.js';
import type { FormatName } from '../mmu/gpt/entry-format.js';

const PAGES = 102_400;
const MEM = 420 * 1024 * 1024;
const BASE = 2 * 1024 * 1024;
const READS = 200_000;

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/* Microseconds per translate over every page of the buffer, one instruction per fill. */
function pass(vm: NestedVm, mmu: NestedMmu, access: 'read' | 'write'): number {
  const t0 = cpuMs();
  for (let i = 0; i < PAGES; i++) {
    vm.inFlight.atInstruction(i + 2); // each fill its own instruction, as memtouch's are
    const r = mmu.translate(gva(BASE + i * 4096), access);
    if ('kind' in r) throw new Error(`page ${i}: ${r.kind}`);
  }
  return ((cpuMs() - t0) * 1000) / PAGES;
}

const rows: string[] = [];
for (const format of ['ept', 'npt', 's2'] as FormatName[]) {
  const vm = new NestedVm({ arch: 'x86_64', ramBase: 0, memBytes: MEM, format });
  const mmu = new NestedMmu({
    vmspace: vm.vmspace,
    client: vm.vcpuClient,
    paging: () => null,
    inFlight: vm.inFlight,
  });
  const fault = pass(vm, mmu, 'write');
  const hit = pass(vm, mmu, 'read');
  rows.push(`${format.padEnd(4)} nested fault ${fault.toFixed(2)} us, hit ${hit.toFixed(2)} us`);
}
const uc = Unicorn.open('x86_64');
const t0 = cpuMs();
let sum = 0;
for (let i = 0; i < READS; i++) sum += uc.regRead('cr0');
const read = ((cpuMs() - t0) * 1000) / READS;
uc.close();
rows.push(`regRead('cr0') ${read.toFixed(2)} us (${sum === 0 ? 'all zero' : 'non-zero'})`);
process.stdout.write(`fault-path (CPU time per call, ${PAGES} pages, no engine)\n${rows.join('\n')}\n`);
