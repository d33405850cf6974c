/*
 * The live view's two Ink fast paths, put in place on purpose and only on the Ink they were written
 * for.
 *
 * ink-output-cache.ts (styled lines kept from frame to frame) and ink-output-grid.ts (a frame's
 * text without Ink's per-cell style diffing) reach into Ink's Output class, which is not part of
 * Ink's public API. They were written against one exact Ink release, INK_PATCHED_VERSION, which
 * package.json pins. installInkPatches() is called by the live view's start (startTui, and the
 * bench that measures it); importing a module never patches anything.
 *
 *   installInkPatches()
 *     ├─ installed Ink's version ≠ INK_PATCHED_VERSION ──► nothing patched, one-line note:
 *     │                                                    Ink draws on its own path
 *     └─ same version ──► cache and grid installed (each still checks Ink's shape itself and
 *                         leaves Ink alone when it differs; the grid hands any frame it does not
 *                         know to Ink's own get())
 *
 * Invariants: the result says whether both patches are in place; on another version nothing of
 * Ink's is touched; the note is one line, for stderr.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { installInkOutputCache } from './ink-output-cache.js';
import { installInkOutputGrid } from './ink-output-grid.js';

/** The Ink release the patches were written and tested against (package.json pins it). */
export const INK_PATCHED_VERSION = '6.8.0';

export interface InkPatchResult {
  readonly installed: boolean;
  /** Why they are not, in one line (absent when installed). */
  readonly note?: string;
}

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

export async function installInkPatches(version = installedInkVersion()): Promise<InkPatchResult> {
  const note = inkVersionNote(version);
  if (note !== null) return { installed: false, note };
  const [cache, grid] = await Promise.all([installInkOutputCache(), installInkOutputGrid()]);
  if (cache && grid) return { installed: true };
  return {
    installed: false,
    note: `nestvm: Ink ${version}'s internals are not as expected; drawing with Ink's own (slower) path`,
  };
}
