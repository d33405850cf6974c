/*
 * Issue 4 proof (c): a dirty-log test in the style of KVM's dirty_log_test, with each entry
 * format on both architectures, with the dirty log in each mode ('bitmap', and 'ring': PML logs
 * and a dirty ring). The guest and the checks are described in dirtylog-check.ts: they are exact
 * (no page missed, none invented), so both modes report the same pages at every harvest. maxInsns
 * bounds the run (the guest never stops by itself).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ARCHES, FORMATS, closeAll, loadGuestFile, machine } from './nested-harness.js';
import { DIRTYLOG_BANNER, DIRTYLOG_MEM, checkDirtyLog } from './dirtylog-check.js';

afterEach(closeAll);

const MAX_INSNS = 120_000;
const SLICE = 613; // odd, so slices end at every point of the loop

/* Ring mode on each architecture's own formats (EPT and nPT on x86-64, stage-2 on arm64): the
 * fill path that logs is the same for every format, and each case costs seconds. */
const NATIVE = { x86_64: ['ept', 'npt'], arm64: ['s2'] } as const;
const cases = ARCHES.flatMap((arch) =>
  FORMATS.flatMap((format) => [
    [arch, format, 'bitmap'] as const,
    ...((NATIVE[arch] as readonly string[]).includes(format) ? [[arch, format, 'ring'] as const] : []),
  ]),
);

describe.each(cases)('dirtylog, %s guest on %s tables, %s dirty log', (arch, format, mode) => {
  it('never misses a dirty page, and the region agrees with the harvested history', async () => {
    const img = await loadGuestFile(arch, 'dirtylog.s', {}, DIRTYLOG_MEM);
    const m = machine(img, {
      memBytes: DIRTYLOG_MEM,
      format,
      sliceInsns: SLICE,
      maxInsns: MAX_INSNS,
      dirtyLog: mode,
    });
    const run = checkDirtyLog(m);
    expect(run.stop.reason).toBe('limit');
    expect(m.instructions).toBe(MAX_INSNS);
    expect(m.console).toBe(DIRTYLOG_BANNER[arch]);
    // the run exercised what it claims: many slices, many pages written again after a harvest
    expect(run.harvests).toBeGreaterThan(150);
    expect(run.stores).toBeGreaterThan(10_000);
    expect(run.redirtied).toBeGreaterThan(1000);
    expect(m.stats()!.tableSteals).toBe(0);
    const log = m.stats()!.dirtyLog;
    expect(log.mode).toBe(mode);
    // ring mode: every page the guest dirtied went through the ring (at least one per re-dirtying)
    if (mode === 'ring') expect(log.ringEntries).toBeGreaterThan(run.redirtied);
    else expect(log).toEqual({ mode, pmlFullExits: 0, ringEntries: 0 });
  }, 60_000);
});
