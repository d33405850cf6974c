// Ink's fast paths are installed only when asked, only on the pinned Ink, and the pin is what
// package.json asks for and what is installed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../../emulator/package-root.js';
import { inkOutputClass } from '../../../cli/tui/ink-output-class.js';
import {
  INK_PATCHED_VERSION,
  inkVersionNote,
  installedInkVersion,
  installInkPatches,
} from '../../../cli/tui/ink-patches.js';
import '../../../cli/tui/app.js'; // importing the live view patches nothing

const Output = (await inkOutputClass())!;
const inksOwn = Output.prototype.get;

describe('the Ink pin', () => {
  it('package.json pins Ink to exactly the version the patches are written for, and it is installed', () => {
    const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(pkg.dependencies.ink).toBe(INK_PATCHED_VERSION);
    expect(installedInkVersion()).toBe(INK_PATCHED_VERSION);
    expect(inkVersionNote(INK_PATCHED_VERSION)).toBeNull();
  });

  it('another version gets a one-line note and leaves Ink as it is', async () => {
    const note = inkVersionNote('6.9.1');
    expect(note).toMatch(
      /^nestvm: Ink 6\.9\.1 is installed, .*written for Ink 6\.8\.0; drawing with Ink's own/,
    );
    expect(note).not.toContain('\n');
    expect(inkVersionNote(null)).toMatch(/version unknown/);
    expect(await installInkPatches('6.9.1')).toEqual({ installed: false, note });
    expect(Output.prototype.get).toBe(inksOwn);
  });

  it('importing the App patched nothing; installInkPatches() on the pinned Ink does', async () => {
    expect(Output.prototype.get).toBe(inksOwn);
    expect(await installInkPatches()).toEqual({ installed: true });
    expect(Output.prototype.get).not.toBe(inksOwn);
  });
});
