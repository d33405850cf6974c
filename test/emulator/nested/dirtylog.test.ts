/*
 * Issue 4 proof (c): a dirty-log test in the style of KVM's dirty_log_test, with each entry
 * format on both architectures. The guest and the checks are described in dirtylog-check.ts;
 * maxInsns bounds the run (the guest never stops by itself).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ARCHES, FORMATS, closeAll, loadGuestFile, machine } from './nested-harness.js';
import { DIRTYLOG_BANNER, DIRTYLOG_MEM, checkDirtyLog } from './dirtylog-check.js';

afterEach(closeAll);

const MAX_INSNS = 120_000;
const SLICE = 613; // odd, so slices end at every point of the loop

const cases = ARCHES.flatMap((arch) => FORMATS.map((format) => [arch, format] as const));

describe.each(cases)('dirtylog, %s guest on %s tables', (arch, format) => {
  it('never misses a dirty page, and the region agrees with the harvested history', async () => {
    const img = await loadGuestFile(arch, 'dirtylog.s', {}, DIRTYLOG_MEM);
    const m = machine(img, { memBytes: DIRTYLOG_MEM, format, sliceInsns: SLICE, maxInsns: MAX_INSNS });
    const run = checkDirtyLog(m);
    expect(run.stop.reason).toBe('limit');
    expect(m.instructions).toBe(MAX_INSNS);
    expect(m.console).toBe(DIRTYLOG_BANNER[arch]);
    // the run exercised what it claims: many slices, many pages written again after a harvest
    expect(run.harvests).toBeGreaterThan(150);
    expect(run.stores).toBeGreaterThan(10_000);
    expect(run.redirtied).toBeGreaterThan(1000);
    expect(m.stats()!.tableSteals).toBe(0);
  }, 60_000);
});
