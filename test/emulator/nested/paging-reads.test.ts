/*
 * When the fill path asks the vCPU whether the guest pages (NestedMmu's `paging` option, a register
 * read through the binding on a real engine): on every fill outside an engine run; inside one, on
 * every fetch fill and on every fill while paging is on, but not on a data fill after a fill that
 * found paging off (nested-mmu.ts says why that is exact). The translations are the same either way.
 */
import { describe, expect, it } from 'vitest';
import { NestedMmu } from '../../../emulator/nested-mmu.js';
import { NestedVm } from '../../../emulator/nested-vm.js';
import { isFault } from '../../../emulator/translator.js';
import { gva } from '../../../mmu/addr.js';
import type { AccessKind } from '../../../mmu/prot.js';

const MEM = 4 * 1024 * 1024;

function rig(): { mmu: NestedMmu; reads: () => number } {
  const vm = new NestedVm({ arch: 'x86_64', ramBase: 0, memBytes: MEM, format: 'ept' });
  let reads = 0;
  const mmu = new NestedMmu({
    vmspace: vm.vmspace,
    client: vm.vcpuClient,
    paging: () => {
      reads++;
      return null;
    },
    inFlight: vm.inFlight,
  });
  return { mmu, reads: () => reads };
}

/* Translate page i of guest RAM for `access`; the host-physical address it got. */
function fill(mmu: NestedMmu, i: number, access: AccessKind): number {
  const r = mmu.translate(gva(0x10_0000 + i * 4096), access);
  if (isFault(r)) throw new Error(`page ${i}: ${r.kind}`);
  return r.hpa;
}

describe('NestedMmu: reads of the guest paging state', () => {
  it('reads it on every fill outside an engine run', () => {
    const { mmu, reads } = rig();
    fill(mmu, 0, 'exec');
    fill(mmu, 1, 'read');
    fill(mmu, 2, 'write');
    expect(reads()).toBe(3);
  });

  it('inside a run: the first fill and every fetch fill read it, data fills after paging-off do not', () => {
    const { mmu, reads } = rig();
    mmu.runBoundary(true);
    fill(mmu, 0, 'write'); // nothing known yet: read
    fill(mmu, 1, 'read');
    fill(mmu, 2, 'write');
    expect(reads()).toBe(1);
    fill(mmu, 3, 'exec'); // a fetch: read again
    fill(mmu, 4, 'write');
    expect(reads()).toBe(2);
    mmu.runBoundary(false);
    fill(mmu, 5, 'write'); // the run ended: read on every fill again
    fill(mmu, 6, 'write');
    expect(reads()).toBe(4);
    mmu.runBoundary(true);
    fill(mmu, 7, 'read'); // a new run starts from a fresh read
    expect(reads()).toBe(5);
  });

  it('gives the same translations with and without the skipped reads', () => {
    const plain = rig();
    const inRun = rig();
    inRun.mmu.runBoundary(true);
    const accesses: AccessKind[] = ['exec', 'write', 'read', 'write', 'exec', 'read'];
    for (let i = 0; i < 24; i++) {
      const a = accesses[i % accesses.length];
      expect(fill(inRun.mmu, i % 9, a)).toBe(fill(plain.mmu, i % 9, a));
    }
    expect(inRun.reads()).toBeLessThan(plain.reads());
  });
});
