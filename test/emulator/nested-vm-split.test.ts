/*
 * How an overcommitted NestedVm splits host memory, and why the table pool then never needs a
 * guest page's frame (emulator/nested-vm.ts, "Overcommit: the split").
 *
 * With --host-mem below what keeps every guest page its frame, the reservoir sets aside
 * host - tableRoomFor(mem) frames for guest RAM and the table pool keeps the other
 * tableRoomFor(mem): room for every node the nested tree of guest RAM and the device windows can
 * have. Reclaim's frames go back to the reservoir, table frames stay in the pool, so the pool can
 * back every table at any time and never steals, never fails. Checked here against the tree itself:
 * for any RAM size, architecture, format and squeeze, after faults on every 2 MiB of RAM (each leaf
 * table backed), on each device page and on more pages than there are guest frames (evictions that
 * empty leaf tables), the tree has no more nodes than the pool has frames, no table was stolen
 * and no allocation failed.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAYOUT, type Arch } from '../../emulator/arch.js';
import { DMA_BASE_ARM64, DMA_BASE_X86 } from '../../emulator/devices/dma.js';
import { PL011_BASE } from '../../emulator/devices/pl011.js';
import { NestedVm, minGuestFrames, tableRoomFor } from '../../emulator/nested-vm.js';
import { PAGE_SIZE, gpa } from '../../mmu/addr.js';
import { fullChecks, setFullChecks } from '../../mmu/checks.js';
import type { FormatName } from '../../mmu/gpt/entry-format.js';
import { subtree } from '../../mmu/gpt/gpt-node.js';

// one whole-structure sweep at the end of each case instead of one per fault (seconds, not minutes)
const checks = fullChecks();
beforeAll(() => setFullChecks(false));
afterAll(() => setFullChecks(checks));

const MIB = 1024 * 1024;
const DEVICES: Record<Arch, number[]> = { x86_64: [DMA_BASE_X86], arm64: [PL011_BASE, DMA_BASE_ARM64] };

function overcommitted(arch: Arch, format: FormatName, memMiB: number, extra: number): NestedVm {
  const memBytes = memMiB * MIB;
  const hostBytes = tableRoomFor(memBytes) + (minGuestFrames(arch) + extra) * PAGE_SIZE;
  const vm = new NestedVm({ arch, ramBase: LAYOUT[arch].ramBase, memBytes, format, hostBytes });
  const above = Math.ceil(hostBytes / (2 * MIB)) * 2 * MIB; // apertures above host RAM, as the device bus puts them
  vm.mapDevices(
    DEVICES[arch].map((g, i) => ({ name: `dev${i}`, gpa: g, size: PAGE_SIZE, hpa: above + i * PAGE_SIZE })),
  );
  return vm;
}

describe('an overcommitted host: the table pool has room for the whole nested tree', () => {
  it('every table backed, none stolen, no allocation failed, whatever the squeeze (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<Arch>('x86_64', 'arm64'),
        fc.constantFrom<FormatName>('ept', 'npt', 's2'),
        fc.integer({ min: 1, max: 48 }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 1, max: 3 }),
        (arch, format, memMiB, extra, spread) => {
          const vm = overcommitted(arch, format, memMiB, extra);
          expect(vm.overcommitted).toBe(true);
          const poolRoom = vm.frames.totalCount - vm.reservoir.reservedCount;
          expect(poolRoom).toBe(tableRoomFor(memMiB * MIB) / PAGE_SIZE);
          const base = LAYOUT[arch].ramBase;
          const pages = (memMiB * MIB) / PAGE_SIZE;
          for (let off = 0; off < memMiB * MIB; off += 2 * MIB)
            expect(vm.vmspace.fault(gpa(base + off), 'write').kind).toBe('mapped');
          for (const d of DEVICES[arch]) expect(vm.vmspace.fault(gpa(d), 'read').kind).toBe('mmio');
          // more pages than guest frames, spread over RAM: evictions, some leaf tables emptied
          const touches = Math.min(pages, 2 * vm.reservoir.reservedCount);
          for (let i = 0; i < touches; i++) {
            const page = (i * spread * 97) % pages;
            expect(vm.vmspace.fault(gpa(base + page * PAGE_SIZE), 'write').kind).toBe('mapped');
          }
          const nodes = [...subtree(vm.vmspace.gpt.tables.root)];
          expect(nodes.length).toBeLessThanOrEqual(poolRoom);
          const s = vm.pool.stats;
          expect([s.stolen, s.stealFailures]).toEqual([0, 0]);
          if (touches > vm.reservoir.reservedCount)
            expect(vm.reclaimer.counters.evictions).toBeGreaterThan(0);
          vm.vmspace.checkInvariants();
        },
      ),
      { numRuns: 30 },
    );
  });
});
