/*
 * What the library-side migration suites share: NESTVM_CHECKS=full off for the file (its sweeps
 * after every map would make each migration take seconds; the structure suites run them), a
 * Migration of a sample guest with the suites' default link and stop rule, closed after each
 * test, and the samples' expected consoles.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { loadGuest } from '../../../emulator/loaders/index.js';
import { Migration, type MigrationSetup } from '../../../emulator/migration/migration.js';
import { PACKAGE_ROOT } from '../../../emulator/package-root.js';
import { fullChecks, setFullChecks } from '../../../mmu/checks.js';

export const MEM = 4 << 20;

export const expected = (name: string) =>
  readFileSync(join(PACKAGE_ROOT, 'guests/expected', `${name}.txt`), 'utf8');

/** Call once at the top of a suite: the checks toggle and the closing of every Migration made. */
export function migrationRig(defaults: Partial<Omit<MigrationSetup, 'image'>> = {}) {
  const checks = fullChecks();
  beforeAll(() => setFullChecks(false));
  afterAll(() => setFullChecks(checks));
  const open: Migration[] = [];
  afterEach(() => open.splice(0).forEach((m) => m.close()));
  /* A Migration of guests/`file`, the suite's defaults under `over`. */
  return async (file: string, over: Partial<Omit<MigrationSetup, 'image'>> = {}, memBytes = MEM) => {
    const image = await loadGuest(join(PACKAGE_ROOT, 'guests', file), { memBytes });
    const m = new Migration({
      image,
      source: { memBytes },
      destination: { memBytes, seed: 2 },
      bandwidth: 32,
      sliceInsns: 10_000,
      downtimePages: 32,
      maxRounds: 10,
      startAfter: 0,
      ...defaults,
      ...over,
    });
    open.push(m);
    return m;
  };
}
