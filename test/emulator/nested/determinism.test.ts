/*
 * Issue 4 proof (f): determinism (DESIGN §6). Two runs of the same guest with the same options --
 * and the same library calls between the same slices -- produce identical event streams, so traces
 * can be diffed and labs graded. Compared as JSON, event for event, per format.
 *
 * The first run of each pair has the whole-structure sweeps of NESTVM_CHECKS=full on, the second
 * has them off: the second only has to reproduce the first, and one identical stream with and one
 * without the sweeps also shows that the sweeps change nothing (the sweeps cost about 10x).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { MachineEvent } from '../../../emulator/events.js';
import type { GuestImage } from '../../../emulator/image.js';
import type { MachineOptions } from '../../../emulator/machine.js';
import { PAGE_SIZE, gpa } from '../../../mmu/addr.js';
import { fullChecks, setFullChecks } from '../../../mmu/checks.js';
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

/* The same run again, without the sweeps (see the top of the file). */
function unswept(...args: Parameters<typeof trace>): ReturnType<typeof trace> {
  const checks = fullChecks();
  setFullChecks(false);
  try {
    return trace(...args);
  } finally {
    setFullChecks(checks);
  }
}

describe.each(ARCHES.flatMap((a) => FORMATS.map((f) => [a, f] as const)))(
  '%s guest on %s tables',
  (arch, format) => {
    it('memtouch twice: identical event streams', async () => {
      const img = await loadSample(samples().find((s) => s.name === `memtouch-${arch}`)!);
      const a = trace(img, { format, sliceInsns: 333 });
      const b = unswept(img, { format, sliceInsns: 333 });
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
      const b = unswept(img, opts, actions);
      expect(fullChecks()).toBe(true); // the first run was swept
      expect(a.stop.reason).toBe('limit');
      expect(a.json).toMatch(/"table-steal"/);
      expect(a.json).toMatch(/"harvest"/);
      expect(b.json).toBe(a.json);
    }, 120_000); // one full-check run and one without: about 5 s on a quiet 2-core machine
  },
);
