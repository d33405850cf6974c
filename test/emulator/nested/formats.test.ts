/*
 * Issue 4 proof (a): the nested layer is invisible to the guest. Every sample guest of
 * guests/index.json (read when the suite starts, so samples added later are covered) prints the
 * same console text and stops with the same exit status under each entry format -- EPT, nPT and
 * stage-2, on both architectures, since the format does not depend on the guest's architecture --
 * with dirty tracking on and off. The run must really have gone through the format asked for and
 * through the fill hook.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { sampleStop } from '../../../emulator/loaders/samples.js';
import { EXIT_OK } from '../../../emulator/stop-reason.js';
import { FORMATS, closeAll, expectedConsole, loadSample, machine, samples } from './nested-harness.js';

afterEach(closeAll);

const cases = samples().flatMap((s) =>
  FORMATS.flatMap((format) =>
    [true, false].map(
      (dirtyTracking) =>
        [s.name, format, dirtyTracking ? 'dirty on' : 'dirty off', s, dirtyTracking] as const,
    ),
  ),
);

describe.each(cases)('%s under %s, %s', (_name, format, _label, sample, dirtyTracking) => {
  it('prints its golden console text and exits with its status', async () => {
    const m = machine(await loadSample(sample), {
      format,
      dirtyTracking,
      maxInsns: sample.maxInsns,
      cpus: sample.cpus,
    });
    const stop = m.run();
    expect(m.console).toBe(expectedConsole(sample));
    expect(stop.code).toBe(sample.exitStatus);
    expect(stop.reason).toBe(sampleStop(sample));
    if (stop.code === EXIT_OK) expect(stop.message ?? '').not.toMatch(/fault/);
    const stats = m.stats()!;
    expect(stats.format).toBe(format);
    expect(stats.dirtyTracking).toBe(dirtyTracking);
    // the guest's accesses went through the fill hook, onto pages present in the nested tables
    expect(stats.fills).toBeGreaterThan(0);
    expect(stats.residentPages).toBeGreaterThan(0);
  });
});
