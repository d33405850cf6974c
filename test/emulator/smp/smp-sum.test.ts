/*
 * Several vCPUs (--cpus 4) end to end, on both architectures and every format: the smp-sum
 * samples (guests/<arch>/smp-sum.s) start their secondaries (PSCI CPU_ON on arm64, the wakeup
 * mailbox on x86-64), sum the array's slices under a spinlock and print the same total under
 * every quantum; the same options give the same event stream; and every administrative change
 * (unmap, harvest, Accessed reset, disconnect, eviction under overcommit, table steal) reaches
 * every vCPU: no vCPU enters the tables on a newer generation without flushing its own TLB.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MachineEvent } from '../../../emulator/events.js';
import type { GuestImage } from '../../../emulator/image.js';
import type { Machine, MachineOptions } from '../../../emulator/machine.js';
import { PACKAGE_ROOT } from '../../../emulator/package-root.js';
import { gpa, PAGE_SIZE } from '../../../mmu/addr.js';
import { tableRoomFor } from '../../../emulator/nested-vm.js';
import { EventLog } from '../../../mmu/events.js';
import { ARCH_FORMATS, closeAll, loadGuestFile, machine } from '../nested/nested-harness.js';

afterEach(closeAll);

const BIG = 8 * 1024 * 1024;

/* The sample's total for `elems` words, as 16 hex digits: the sum of i * 0x9E3779B1 mod 2^32. */
function total(elems: number): string {
  let sum = 0n;
  for (let i = 0n; i < BigInt(elems); i++) sum += (i * 0x9e3779b1n) & 0xffff_ffffn;
  return sum.toString(16).padStart(16, '0');
}

const expected = (arch: string) =>
  readFileSync(join(PACKAGE_ROOT, 'guests', 'expected', `smp-sum-${arch}.txt`), 'utf8');

/* The array's first page: the sample's `array` label, 4 KiB aligned after its code. */
const arrayPage = (img: GuestImage) => img.symbols.find((s) => s.name === 'array')!.addr;

function run(
  img: GuestImage,
  opts: Partial<MachineOptions>,
  between?: (m: Machine, i: number) => void,
  slice = 2_500,
) {
  const log = new EventLog<MachineEvent>();
  const m = machine(img, { cpus: 4, maxInsns: 2_000_000, ...opts, sink: log });
  let stop = null;
  for (let i = 0; stop === null; i++) {
    stop = m.runSlice(slice);
    if (stop === null) between?.(m, i);
  }
  return { m, stop, events: log.events };
}

/* Every vCPU flushes its own TLB whenever it enters the tables on a generation it has not seen. */
function expectFlushOnNewGeneration(events: readonly MachineEvent[]): number {
  const seen = new Map<number, number>();
  let flushes = 0;
  for (const e of events) {
    if (e.type !== 'vcpu-enter') continue;
    const cpu = e.cpu!;
    if (e.generation > (seen.get(cpu) ?? 0)) {
      expect(e.flushed, `vCPU ${cpu} entered generation ${e.generation} without a flush`).toBe(true);
      flushes++;
    }
    seen.set(cpu, e.generation);
  }
  return flushes;
}

describe('smp-sum on four vCPUs', () => {
  for (const [arch, format] of ARCH_FORMATS) {
    it(`${arch} ${format}: the same total under three quanta, the same trace twice, the same counts however sliced`, async () => {
      const img = await loadGuestFile(arch, 'smp-sum.s');
      const outs = [997, 10_000, 4_096].map((quantum) => run(img, { format, quantum }));
      for (const r of outs) {
        expect(r.m.console).toBe(expected(arch));
        expect(r.stop.code).toBe(0);
        const cpus = r.m.stats()!.cpus!;
        expect(cpus.map((c) => c.turns > 0)).toEqual([true, true, true, true]);
        expect(cpus.reduce((n, c) => n + c.insns, 0)).toBe(r.m.instructions);
      }
      // slices cut inside quanta move no wakeup and no turn: the same counts, vCPU by vCPU
      const counts = (r: ReturnType<typeof run>) => r.m.stats()!.cpus!.map((c) => [c.insns, c.turns]);
      expect(counts(run(img, { format, quantum: 997 }, undefined, 331))).toEqual(counts(outs[0]));
      const again = run(img, { format, quantum: 997 });
      expect(JSON.stringify(again.events)).toBe(JSON.stringify(outs[0].events));
    });
  }

  for (const [arch, format] of ARCH_FORMATS) {
    it(`${arch} ${format}: unmap, harvest, Accessed reset and disconnect reach every vCPU`, async () => {
      const img = await loadGuestFile(arch, 'smp-sum.s');
      const page = gpa(arrayPage(img));
      const changes = [
        (m: Machine) => m.unmapRegion(page) && m.remapRegion(page),
        (m: Machine) => m.harvestDirty(),
        (m: Machine) => m.resetAccessed(),
        (m: Machine) => {
          const f = m.frameOf(page);
          if (f !== null) m.disconnectFrame(f);
        },
      ];
      const r = run(img, { format, quantum: 1_500 }, (m, i) => changes[i % changes.length](m));
      expect(r.m.console).toBe(expected(arch));
      expect(expectFlushOnNewGeneration(r.events)).toBeGreaterThan(8);
    });
  }

  for (const [arch, format] of ARCH_FORMATS) {
    it(`${arch} ${format}: eviction under overcommit and table steals kick and flush every vCPU`, async () => {
      // a 1 MiB array over 8 MiB of guest RAM: leaf tables enough to steal, pages enough to evict
      const ELEMS = 0x4_0000;
      const img = await loadGuestFile(arch, 'smp-sum.s', { ELEMS, SLICE: ELEMS / 4 }, BIG);
      const big = { memBytes: BIG, format, quantum: 20_000, maxInsns: 40_000_000 };
      const squeezed = run(img, { ...big, hostBytes: BIG + 8 * PAGE_SIZE }, undefined, 100_000); // tables stolen
      const overcommitted = run(
        img,
        { ...big, hostBytes: tableRoomFor(BIG) + 96 * PAGE_SIZE },
        undefined,
        100_000,
      ); // evicted
      for (const r of [squeezed, overcommitted]) {
        expect(r.m.console).toBe(expected(arch).replace(/0x[0-9a-f]+/, `0x${total(ELEMS)}`));
        expect(expectFlushOnNewGeneration(r.events)).toBeGreaterThan(0);
      }
      expect(squeezed.m.stats()!.tableSteals).toBeGreaterThan(0);
      const o = overcommitted.m.stats()!;
      expect(o.reclaim.evictions).toBeGreaterThan(0);
      expect(o.cpus!.reduce((n, c) => n + c.kicks, 0)).toBeGreaterThan(0);
    });
  }
});
