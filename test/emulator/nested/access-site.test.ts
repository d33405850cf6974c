/*
 * The fill path's events say which instruction made the access: every 'fill' and every 'fault'
 * of a TLB fill carries `pc` and `insns`, the instructions completed before it. Checked the way a
 * student would use them: stop a second run of the same guest after exactly `insns` instructions,
 * and its pc is the event's (per architecture, per entry format, on a paging guest, whose faults
 * also carry the guest-virtual address).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_GUEST_MEM } from '../../../emulator/arch.js';
import type { MachineEvent } from '../../../emulator/events.js';
import { loadGuest } from '../../../emulator/loaders/index.js';
import { Machine } from '../../../emulator/machine.js';
import { PACKAGE_ROOT } from '../../../emulator/package-root.js';
import { EventLog } from '../../../mmu/events.js';
import { ARCH_FORMATS } from './nested-harness.js';

const CASES = ARCH_FORMATS;

describe.each(CASES)('fill and fault events name their instruction (%s, %s)', (arch, format) => {
  it('carry pc and insns, and --max-insns insns stops right before that pc', async () => {
    const image = await loadGuest(join(PACKAGE_ROOT, 'guests', arch, 'paging.s'), {
      memBytes: DEFAULT_GUEST_MEM,
    });
    const log = new EventLog<MachineEvent>();
    const m = new Machine(image, { memBytes: DEFAULT_GUEST_MEM, format, sink: log });
    m.run();
    m.close();
    const fills = log.events.filter((e) => e.type === 'fill');
    const faults = log.events.filter((e) => e.type === 'fault' && e.pc !== undefined);
    expect(fills.length).toBeGreaterThan(10);
    expect(faults.length).toBeGreaterThan(5);
    expect(faults.some((e) => e.type === 'fault' && e.gva !== undefined)).toBe(true);
    let last = 0;
    for (const e of [...fills, ...faults]) {
      if (e.type !== 'fill' && e.type !== 'fault') continue;
      expect(Number.isSafeInteger(e.insns)).toBe(true);
      expect(e.insns!).toBeGreaterThanOrEqual(0);
      last = Math.max(last, e.insns!);
    }
    expect(last).toBeLessThanOrEqual(m.instructions);
    // every fill's instruction, checked by stopping a second run right before it
    for (const e of fills) {
      if (e.type !== 'fill') continue;
      if (e.insns === 0) {
        expect(e.pc).toBe(image.entry);
        continue;
      }
      const again = new Machine(image, { memBytes: DEFAULT_GUEST_MEM, format, maxInsns: e.insns });
      const stop = again.run();
      again.close();
      expect(stop.reason).toBe('limit');
      expect(stop.pc).toBe(e.pc);
    }
  }, 120_000);
});
