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
import { inkVersionNote, installedInkVersion } from './ink-version.js';
import { installInkOutputCache } from './ink-output-cache.js';
import { installInkOutputGrid } from './ink-output-grid.js';

export interface InkPatchResult {
  readonly installed: boolean;
  /** Why they are not, in one line (absent when installed). */
  readonly note?: string;
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

export { INK_PATCHED_VERSION, inkVersionNote, installedInkVersion } from './ink-version.js';
