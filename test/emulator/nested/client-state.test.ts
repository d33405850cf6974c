/*
 * Issue 4 proof (e): the vmspace clients as the Machine leaves them, and the generation.
 *
 *   - After any run, every client of the vmspace (vCPU, devices) is IDLE: no stay on the CPU left open,
 *     no fault or hold still ACTIVE, no administrative HOLD left behind; no page hold outstanding.
 *   - The generation moves on exactly when translations were removed -- a harvest that found dirty
 *     pages, an unmap of a region with present pages, a disconnect of a mapped frame, an Accessed
 *     reset that cleared something, dirty tracking switched on -- by exactly one per change, and
 *     never for a change that removed nothing, nor for faults and remaps (which only add).
 *   - The vCPU flushes Unicorn's TLB at the first table enter after a bump, and only then.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Arch } from '../../../emulator/arch.js';
import type { MachineEvent } from '../../../emulator/events.js';
import type { Machine } from '../../../emulator/machine.js';
import { PAGE_SIZE, gpa } from '../../../mmu/addr.js';
import { EventLog } from '../../../mmu/events.js';
import {
  ARCHES,
  FORMATS,
  closeAll,
  loadGuestFile,
  loadSample,
  machine,
  ramBase,
  runUntil,
  samples,
} from './nested-harness.js';

afterEach(closeAll);

function expectAllIdle(m: Machine): void {
  const vm = m.vm!;
  const clients = vm.vmspace.clients();
  expect(clients).toContain(vm.vcpuClient);
  for (const c of clients) {
    expect(c.state, c.name).toBe('IDLE');
    expect(c.holds(), c.name).toHaveLength(0);
  }
  const holds = m.stats()!.holds;
  expect(holds.outstanding).toBe(0);
  expect(holds.taken).toBe(holds.released);
}

describe.each(samples().map((s) => [s.name, s] as const))('after running %s', (_name, sample) => {
  it.each(FORMATS)('on %s tables every client is IDLE with no hold outstanding', async (format) => {
    const m = machine(await loadSample(sample), {
      format,
      sliceInsns: 997,
      maxInsns: sample.maxInsns,
      cpus: sample.cpus,
    });
    m.run();
    expectAllIdle(m);
  });
});

describe.each(ARCHES.flatMap((a) => FORMATS.map((f) => [a, f] as const)))(
  '%s guest on %s tables: the generation',
  (arch: Arch, format) => {
    it('moves on exactly when translations were removed, and the next entry flushes', async () => {
      const log = new EventLog<MachineEvent>();
      const m = machine(await loadGuestFile(arch, 'dirtylog.s'), { format, sliceInsns: 400, sink: log });
      const gen = () => m.stats()!.generation;
      const region = ramBase(arch) + 0x40_0000;
      let expected = gen();
      const step = (what: string, bumps: boolean) => {
        if (bumps) expected++;
        expect(gen(), what).toBe(expected);
      };

      // faults only add translations
      runUntil(m, () => m.stats()!.faults.total > 20, 'twenty nested faults');
      step('faults', false);
      expect(m.harvestDirty().dirty).toBeGreaterThan(0);
      step('harvest with dirty pages', true);
      expect(m.harvestDirty().dirty).toBe(0);
      step('harvest with nothing dirty', false);

      expect(m.resetAccessed()).toBeGreaterThan(0);
      step('Accessed reset that cleared some', true);
      expect(m.resetAccessed()).toBe(0);
      step('Accessed reset that cleared none', false);

      const present = [...Array(1024).keys()]
        .map((p) => region + p * PAGE_SIZE)
        .find((g) => m.frameOf(gpa(g)) !== null)!;
      const frame = m.frameOf(gpa(present))!;
      expect(m.disconnectFrame(frame)).toBe(1);
      step('disconnect of a mapped frame', true);
      expect(m.disconnectFrame(frame)).toBe(0);
      step('disconnect of an unmapped frame', false);

      expect(m.runSlice()).toBeNull();
      step('a slice of faults and fills', false);
      // the last MiB of guest RAM (15 MiB) is never touched by the guest
      const untouched = ramBase(arch) + 15 * 1024 * 1024;
      expect(m.unmapRegion(gpa(untouched))).toBe(true);
      step('unmap of a region with nothing present', false);
      expect(m.remapRegion(gpa(untouched))).toBe(true);
      expect(m.remapRegion(gpa(untouched))).toBe(false);
      step('remap', false);
      expect(m.unmapRegion(gpa(region))).toBe(true);
      step('unmap of a region with present pages', true);
      expect(m.remapRegion(gpa(region))).toBe(true);
      step('remap', false);

      expect(m.setDirtyTracking(false)).toBe(false);
      step('dirty tracking off', false);
      expect(m.setDirtyTracking(true)).toBe(true);
      step('dirty tracking on', true);
      expect(m.setDirtyTracking(true)).toBe(true);
      step('dirty tracking on again', false);

      expect(m.runSlice()).toBeNull();
      expectAllIdle(m);

      // each vcpu-enter flushes exactly when the generation moved since the previous one
      let lastEntered = 0;
      let current = 1;
      let enters = 0;
      for (const e of log.events) {
        if (e.type === 'generation') current = e.generation;
        if (e.type !== 'vcpu-enter') continue;
        enters++;
        expect(e.generation).toBe(current);
        expect(e.flushed, `vcpu-enter #${enters}`).toBe(e.generation > lastEntered);
        lastEntered = e.generation;
      }
      expect(enters).toBeGreaterThan(2);
    });
  },
);
