/*
 * Issue 4 proof (f): determinism (DESIGN §6). Two runs of the same guest with the same options --
 * and the same library calls between the same slices -- produce identical event streams, so traces
 * can be diffed and labs graded. Compared as JSON, event for event, per format.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { MachineEvent } from '../../../emulator/events.js';
import type { GuestImage } from '../../../emulator/image.js';
import type { MachineOptions } from '../../../emulator/machine.js';
import { PAGE_SIZE, gpa } from '../../../mmu/addr.js';
import { EventLog } from '../../../mmu/events.js';
import {
  ARCHES,
  FORMATS,
  MEM,
  closeAll,
  loadGuestFile,
  loadSample,
  machine,
  runWith,
  samples,
} from './nested-harness.js';

afterEach(closeAll);

/* One run: the event stream as JSON, plus the console and the stop. */
function trace(
  img: GuestImage,
  opts: Partial<MachineOptions>,
  between?: (m: ReturnType<typeof machine>, i: number) => void,
) {
  const log = new EventLog<MachineEvent>();
  const m = machine(img, { ...opts, sink: log });
  const stop = runWith(m, (i) => between?.(m, i));
  return { json: JSON.stringify(log.events), events: log.events.length, console: m.console, stop };
}

describe.each(ARCHES.flatMap((a) => FORMATS.map((f) => [a, f] as const)))(
  '%s guest on %s tables',
  (arch, format) => {
    it('memtouch twice: identical event streams', async () => {
      const img = await loadSample(samples().find((s) => s.name === `memtouch-${arch}`)!);
      const a = trace(img, { format, sliceInsns: 333 });
      const b = trace(img, { format, sliceInsns: 333 });
      expect(a.events).toBeGreaterThan(1000);
      expect(b.json).toBe(a.json);
      expect(b.stop).toEqual(a.stop);
    });

    it('dirtylog with harvests, resets, a disconnect and steals: identical event streams', async () => {
      const img = await loadGuestFile(arch, 'dirtylog.s');
      const opts = { format, sliceInsns: 500, maxInsns: 16_000, hostBytes: MEM + 7 * PAGE_SIZE };
      const actions = (m: ReturnType<typeof machine>, i: number) => {
        m.harvestDirty();
        if (i % 7 === 3) m.resetAccessed();
        if (i === 20) {
          const f = m.frameOf(gpa(m.vm!.opts.ramBase + 0x40_0000 + 5 * PAGE_SIZE));
          if (f !== null) m.disconnectFrame(f);
        }
      };
      const a = trace(img, opts, actions);
      const b = trace(img, opts, actions);
      expect(a.stop.reason).toBe('limit');
      expect(a.json).toMatch(/"table-steal"/);
      expect(a.json).toMatch(/"harvest"/);
      expect(b.json).toBe(a.json);
    }, 120_000); // two full-check runs: about 10 s on a quiet 2-core machine
  },
);
