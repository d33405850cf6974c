/*
 * Issue 11's "done when", as a user types it: `nestvm run` on the C guest that touches 300 pages
 * (guests/c-pages/main.c), with `--mem 16M --host-mem 1M`, prints exactly the console it prints
 * without the squeeze (its golden file), on both architectures and every entry format, with the
 * guest's own paging off and on, and `--json` shows evictions and swap-ins above zero. 1 MiB is
 * 256 host frames for 4,096 pages of guest RAM: overcommitted, so 27 of them hold the nested
 * tables (tableRoomFor) and reclaim shares the other 229 among the ~305 pages the guest touches.
 * The whole-structure sweeps of NESTVM_CHECKS=full are off here, as in the forward-progress sweep:
 * with ~1,000 evictions a run they would cost a minute (test/emulator/nested/reclaim.test.ts
 * checks the structures under reclaim).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../emulator/package-root.js';
import { fullChecks, setFullChecks } from '../../mmu/checks.js';
import { runCli } from '../cli/capture.js';

const checks = fullChecks();
beforeAll(() => setFullChecks(false));
afterAll(() => setFullChecks(checks));

const FORMATS = ['ept', 'npt', 's2'] as const;
const variants = ['c-pages', 'c-pages-paging'] as const;
const cases = (['x86_64', 'arm64'] as const).flatMap((arch) =>
  variants.flatMap((name) => FORMATS.map((format) => [arch, name, format] as const)),
);

describe.each(cases)('%s %s on %s tables', (arch, name, format) => {
  it('prints the unsqueezed console with --mem 16M --host-mem 1M, and reclaim really ran', async () => {
    const elf = join(PACKAGE_ROOT, 'guests', arch, 'c-pages', `${name}.elf`);
    const golden = readFileSync(join(PACKAGE_ROOT, 'guests/expected', `${name}-${arch}.txt`), 'utf8');
    expect(golden).toMatch(/checksum 0x[0-9a-f]{16} over 153600 words: all as written\n$/);
    const r = await runCli('run', elf, '--mem', '16M', '--host-mem', '1M', '--format', format, '--json');
    expect([r.status, r.stderr]).toEqual([0, '']);
    const report = JSON.parse(r.stdout);
    expect(report.console).toBe(golden);
    const reclaim = report.reclaim;
    expect(reclaim.framesTotal).toBe(256);
    expect(reclaim.evictions).toBeGreaterThan(0);
    expect(reclaim.swapIns).toBeGreaterThan(0);
    expect(reclaim.evictions).toBe(reclaim.swapOuts + reclaim.cleanDrops);
    // every page was written, went out at least once and was read back from the swap store
    expect(reclaim.swapIns).toBeGreaterThanOrEqual(300 - 229);
  });
});

describe('c-pages without the squeeze', () => {
  it('needs no reclaim at the default host memory', async () => {
    const elf = join(PACKAGE_ROOT, 'guests/x86_64/c-pages/c-pages.elf');
    const report = JSON.parse((await runCli('run', elf, '--json')).stdout);
    expect(report.console).toBe(
      readFileSync(join(PACKAGE_ROOT, 'guests/expected/c-pages-x86_64.txt'), 'utf8'),
    );
    expect(report.reclaim.evictions).toBe(0);
    expect(report.reclaim.framesInUse).toBeGreaterThan(300);
  });
});
