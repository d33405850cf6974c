/*
 * Forward progress under any squeeze (issue 11, item 4). Every bundled sample, on both
 * architectures and every entry format, runs at host-memory sizes from the table pool's own
 * minimum (guest RAM + 5 frames, which only a library Machine accepts) up past the least the CLI
 * accepts (NestedVm.hostMinimum). Each run must end by itself, never spin:
 *
 *   - at or above the CLI's minimum: exactly as with plenty of memory (golden console and status,
 *     and the same instruction count: an instruction a kick cut short is counted once);
 *   - below it: the same, or an immediate 'exhausted' stop (exit 4) at the first instruction whose
 *     footprint does not fit; the DMA sample may instead finish with the device's host-failure
 *     status (0x42) when the device's page holds cannot get a leaf table beside the instruction's;
 *   - never a fault storm, and never more nested faults per instruction than one instruction's
 *     footprint has pages (faults <= pages x instructions).
 *
 * Sizes: every frame count from the pool minimum to a few frames past the CLI minimum would be the
 * thorough sweep (NESTVM_SWEEP=full, `npm run test:sweep`); by default the sizes where the outcome
 * changes are taken: the pool minimum and the next two frames (where instructions stop fitting),
 * a middle size, the CLI minimum and one frame below and above it. The whole-structure sweeps of
 * NESTVM_CHECKS=full are off here (the structure suites run them; here they would cost minutes).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { instructionFootprint } from '../../../emulator/instruction-footprint.js';
import { PAGE_SIZE } from '../../../mmu/addr.js';
import { fullChecks, setFullChecks } from '../../../mmu/checks.js';
import { FORMATS, MEM, closeAll, expectedConsole, loadSample, machine, samples } from './nested-harness.js';

afterEach(closeAll);
const checks = fullChecks();
beforeAll(() => setFullChecks(false));
afterAll(() => setFullChecks(checks));

const POOL_MINIMUM = 5;
/* Far above what any sample needs at any size: reaching it is a spin, not a slow guest. */
const RUN_LIMIT = 200_000_000;

function sizes(cliMinimum: number): number[] {
  const out = new Set<number>();
  if (process.env.NESTVM_SWEEP === 'full') {
    for (let n = POOL_MINIMUM; n <= cliMinimum + 4; n++) out.add(n);
  } else {
    for (const n of [POOL_MINIMUM, POOL_MINIMUM + 1, POOL_MINIMUM + 2, (POOL_MINIMUM + cliMinimum) >> 1])
      out.add(n);
    for (const n of [cliMinimum - 1, cliMinimum, cliMinimum + 1]) out.add(n);
  }
  return [...out].sort((a, b) => a - b);
}

const cases = samples().flatMap((s) => FORMATS.map((format) => [s.name, format] as const));

describe.each(cases)('%s on %s tables, host memory swept', (name, format) => {
  it('finishes as with plenty of memory, or stops at once with exit 4; faults per instruction bounded', async () => {
    const sample = samples().find((s) => s.name === name)!;
    const image = await loadSample(sample);
    const golden = expectedConsole(sample);
    const maxInsns = sample.maxInsns ?? RUN_LIMIT;
    const roomy = machine(image, { format, maxInsns, cpus: sample.cpus });
    roomy.run();
    const cliMinimum = roomy.vm!.hostMinimum().tableFrames;
    const pages = instructionFootprint(sample.arch).pages;
    const seen: string[] = [];
    for (const frames of sizes(cliMinimum)) {
      const m = machine(image, { format, hostBytes: MEM + frames * PAGE_SIZE, maxInsns, cpus: sample.cpus });
      const stop = m.run();
      const faults = m.stats()!.faults.total;
      const what = `${frames} table frames: ${stop.reason} ${stop.message ?? ''}`;
      seen.push(what);
      expect(stop.message ?? '', what).not.toMatch(/storm/);
      expect(faults, what).toBeLessThanOrEqual(pages * Math.max(m.instructions, 1));
      const asRoomy = m.console === golden && stop.code === sample.exitStatus;
      // an instruction cut short by a steal's kick and run again is counted once
      if (asRoomy) expect(m.instructions, what).toBe(roomy.instructions);
      if (frames >= cliMinimum) {
        expect(asRoomy, what).toBe(true);
      } else if (!asRoomy) {
        const dmaStatus = sample.name.startsWith('dma-') && /status 0x42/.test(m.console);
        const exhausted = stop.code === 4 && /host memory exhausted/.test(stop.message ?? '');
        expect(dmaStatus || exhausted, what).toBe(true);
      }
    }
    expect(seen.length).toBeGreaterThanOrEqual(4);
  }, 120_000);
});
