/*
 * Which Ink the live view loads, against the one release its drawing fast paths are written for
 * (INK_PATCHED_VERSION, which package.json pins). Reading it loads nothing of Ink's, so
 * `nestvm setup` can report it without the live view's modules; ink-patches.ts decides on it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The Ink release the patches were written and tested against (package.json pins it). */
export const INK_PATCHED_VERSION = '6.8.0';

/** The version of the Ink that `import 'ink'` loads, from its package.json; null when unreadable. */
export function installedInkVersion(): string | null {
  try {
    const entry = createRequire(import.meta.url).resolve('ink');
    for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
      const file = join(dir, 'package.json');
      if (!existsSync(file)) continue;
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      if (pkg.name === 'ink') return typeof pkg.version === 'string' ? pkg.version : null;
    }
  } catch {
    // unreadable: treated as unknown
  }
  return null;
}

/** The note for a version the patches were not written for (null: it is the one). */
export function inkVersionNote(version: string | null): string | null {
  if (version === INK_PATCHED_VERSION) return null;
  return (
    `nestvm: Ink ${version ?? '(version unknown)'} is installed, but the live view's drawing fast paths ` +
    `are written for Ink ${INK_PATCHED_VERSION}; drawing with Ink's own (slower) path`
  );
}
