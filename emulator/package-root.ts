/*
 * The nestvm package's root folder, found from this module's own location so that it is right
 * whether the code runs from dist/ (built) or from the sources (tsx, vitest). Bundled guests and
 * the .cache/ folder that scripts/setup.sh fills live there.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'nestvm') return dir;
    if (dirname(dir) === dir) throw new Error(`nestvm package root not found above ${start}`);
  }
}

export const PACKAGE_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));
export const packagePath = (...parts: string[]): string => join(PACKAGE_ROOT, ...parts);
