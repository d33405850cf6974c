import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  library,
  libraryPath,
  loadLibraryAt,
  versionAtLeast21,
  versionString,
} from '../../../emulator/unicorn/library.js';
import { UnicornLoadError, UnicornVersionError } from '../../../emulator/unicorn/errors.js';

const packed = (major: number, minor: number, patch: number, extra = 0xff): number =>
  ((major << 24) | (minor << 16) | (patch << 8) | extra) >>> 0;

describe('library version check', () => {
  it('decodes uc_version packing', () => {
    expect(versionString(packed(2, 1, 1))).toBe('2.1.1');
    expect(versionString(packed(2, 0, 1))).toBe('2.0.1');
  });

  it('accepts 2.1 and later, refuses older', () => {
    expect(versionAtLeast21(packed(2, 1, 0))).toBe(true);
    expect(versionAtLeast21(packed(2, 1, 4))).toBe(true);
    expect(versionAtLeast21(packed(3, 0, 0))).toBe(true);
    expect(versionAtLeast21(packed(2, 0, 1))).toBe(false); // Debian bookworm's
    expect(versionAtLeast21(packed(1, 0, 3))).toBe(false);
  });

  it('names the version found in the error', () => {
    const e = new UnicornVersionError('2.0.1', '/usr/lib/libunicorn.so.2');
    expect(e.message).toContain('Unicorn 2.0.1');
    expect(e.message).toContain('2.1 or later');
    expect(e.found).toBe('2.0.1');
  });

  it('loads the library of this machine, 2.1 or later', () => {
    const lib = library();
    const [major, minor] = lib.version.split('.').map(Number);
    expect(major > 2 || (major === 2 && minor >= 1)).toBe(true);
  });

  it('reports a missing library as a UnicornLoadError', () => {
    expect(() => loadLibraryAt('/nonexistent/libunicorn.so.2')).toThrow(UnicornLoadError);
  });
});

describe('library path', () => {
  it('prefers NESTVM_LIBUNICORN', () => {
    expect(libraryPath({ NESTVM_LIBUNICORN: '/x/lib.so' }, '/nowhere')).toBe('/x/lib.so');
  });

  it('then the path recorded by setup.sh', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nestvm-lib-'));
    fs.mkdirSync(path.join(root, '.cache'));
    fs.writeFileSync(path.join(root, '.cache', 'libunicorn.path'), '/y/libunicorn.so.2\n');
    expect(libraryPath({}, root)).toBe('/y/libunicorn.so.2');
    fs.rmSync(root, { recursive: true });
  });

  it('then the system loader', () => {
    expect(libraryPath({}, '/nowhere')).toBe('libunicorn.so.2');
  });
});
