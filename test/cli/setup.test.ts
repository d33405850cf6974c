/*
 * `nestvm setup` / `nestvm doctor` in-process (the installed-package path is
 * test/e2e/pack-install.test.ts): the report, the one-line exit 8 when no Unicorn can be had, the
 * per-OS hints and the per-user cache rules of the binding.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { inkReport, terminalReport } from '../../cli/setup-report.js';
import { librarySource, loadLibraryAt } from '../../emulator/unicorn/library.js';
import {
  isInstalledPackage,
  recordFiles,
  setupCacheDir,
  userCacheDir,
} from '../../emulator/unicorn/library-cache.js';
import { runCli } from './capture.js';
import { createRequire } from 'node:module';

const { installHint } = createRequire(import.meta.url)('../../scripts/install-hint.cjs') as {
  installHint: (platform: string, osRelease: string) => string;
};

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

describe('nestvm setup', () => {
  it('reports the Unicorn it uses, koffi and the terminal (doctor is the same command)', async () => {
    process.env.NESTVM_LIBUNICORN = librarySource(saved).file;
    for (const name of ['setup', 'doctor']) {
      const r = await runCli(name, '--json');
      expect(r.status, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout);
      expect(report.unicorn).toMatchObject({ path: process.env.NESTVM_LIBUNICORN, from: 'env' });
      expect(report.unicorn.version).toMatch(/^2\.\d+\.\d+$/);
      expect(report.koffi.version).toMatch(/^\d+\.\d+/);
      expect(report.ink).toEqual({ version: '6.8.0', patched: true });
      expect(report.terminal.isTTY).toBe(false);
    }
    const text = await runCli('setup');
    expect(text.stdout).toMatch(/^nestvm is ready\n {2}unicorn {3}2\.\d+\.\d+ at /);
    expect(text.stdout).toContain('from NESTVM_LIBUNICORN');
    expect(text.stdout).toMatch(/ {2}terminal {2}stdout is not a terminal, TERM=/);
    expect(text.stdout).toContain("  ink       6.8.0 (the live view's fast paths are written for it)\n");
  });

  it("reports an Ink other than the patched one as drawing on Ink's own path", () => {
    expect(inkReport('6.9.0')).toEqual({ version: '6.9.0', patched: false });
    expect(inkReport(null)).toEqual({ version: null, patched: false });
    expect(inkReport('6.8.0')).toEqual({ version: '6.8.0', patched: true });
  });

  it('stops with one line naming what to install, exit 8', async () => {
    process.env.NESTVM_LIBUNICORN = '/nonexistent/libunicorn.so.2';
    const r = await runCli('setup');
    expect(r.status).toBe(8);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /^nestvm setup: NESTVM_LIBUNICORN=\/nonexistent\/libunicorn.so.2 cannot be loaded; /,
    );
  });

  it('a missing Unicorn is a load error that names nestvm setup and the package (exit 8)', () => {
    // the binding loads once per process, so its message is checked at the loader itself
    expect(() => loadLibraryAt('/nonexistent/libunicorn.so.2')).toThrow(
      /libunicorn2t64|unicorn.*nestvm setup/,
    );
    expect(() => loadLibraryAt('/nonexistent/libunicorn.so.2')).toThrow(/nestvm setup/);
  });
});

describe('terminal report', () => {
  it('sees a terminal, its size and colour depth, NO_COLOR and tmux', () => {
    const tty = { isTTY: true, columns: 120, rows: 40, getColorDepth: () => 8 };
    const t = terminalReport(tty, { TERM: 'screen-256color', TMUX: '/tmp/tmux-0/default,1,0', PATH: '' });
    expect(t).toEqual({
      isTTY: true,
      term: 'screen-256color',
      columns: 120,
      rows: 40,
      color: { on: true, why: '256 colours' },
      tmux: { path: null, inside: true },
    });
    expect(terminalReport(tty, { NO_COLOR: '1' }).color).toEqual({ on: false, why: 'NO_COLOR is set' });
    expect(terminalReport({}, {}).color.on).toBe(false);
  });
});

describe('install hints', () => {
  it('name the package of each system', () => {
    expect(installHint('darwin', '')).toContain('brew install unicorn');
    expect(installHint('linux', 'ID=fedora\n')).toContain('dnf install unicorn');
    expect(installHint('linux', 'ID="arch"\n')).toContain('pacman -S unicorn');
    expect(installHint('linux', 'ID=ubuntu\nID_LIKE=debian\n')).toContain('libunicorn2t64');
    expect(installHint('linux', 'ID=linuxmint\nID_LIKE="ubuntu debian"\n')).toContain('nestvm setup');
    expect(installHint('freebsd', '')).toContain('NESTVM_LIBUNICORN');
  });
});

describe('the per-user cache', () => {
  it('is $XDG_CACHE_HOME/nestvm, else ~/.cache/nestvm', () => {
    expect(userCacheDir({ XDG_CACHE_HOME: '/x', HOME: '/h' })).toBe('/x/nestvm');
    expect(userCacheDir({ XDG_CACHE_HOME: 'relative', HOME: '/h' })).toBe('/h/.cache/nestvm');
    expect(userCacheDir({})).toBeNull();
  });

  it('is where an installed package sets up; a clone keeps .cache/ and reads it first', () => {
    const env = { HOME: '/h' };
    expect(isInstalledPackage('/usr/lib/node_modules/nestvm')).toBe(true);
    expect(isInstalledPackage('/src/nestvm')).toBe(false);
    expect(setupCacheDir(env, '/usr/lib/node_modules/nestvm')).toBe('/h/.cache/nestvm');
    expect(setupCacheDir(env, '/src/nestvm')).toBe(join('/src/nestvm', '.cache'));
    const xdg = mkdtempSync(join(tmpdir(), 'nestvm-xdg-'));
    mkdirSync(join(xdg, 'nestvm'));
    writeFileSync(join(xdg, 'nestvm', 'libunicorn.path'), '/u/libunicorn.so.2\n');
    expect(librarySource({ XDG_CACHE_HOME: xdg }, '/nowhere')).toEqual({
      file: '/u/libunicorn.so.2',
      from: 'record',
      record: join(xdg, 'nestvm', 'libunicorn.path'),
    });
    rmSync(xdg, { recursive: true });
    expect(recordFiles(env, '/src/nestvm')).toEqual([
      '/src/nestvm/.cache/libunicorn.path',
      '/h/.cache/nestvm/libunicorn.path',
    ]);
  });
});
