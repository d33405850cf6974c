/*
 * The npm package as a new user gets it: `npm pack` (its prepack build), `npm install -g` of the
 * tarball into a temporary prefix, `nestvm setup`, then a sample run by name from another folder.
 *
 * The package is packed from a staging copy of the files it is made of (under .cache/pack-install,
 * with the repository's node_modules linked in), so the prepack build never touches the dist/ that
 * other suites run. The installed prefix is kept there under a hash of those files: a second run
 * with nothing changed skips pack and install. The per-user cache (XDG_CACHE_HOME) lives there
 * too and persists, so on Debian/Ubuntu as root the first run really fetches Debian trixie's
 * libunicorn2t64 into it and later runs find it through its record; elsewhere `nestvm setup`
 * is given the repository's own library through NESTVM_LIBUNICORN.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../emulator/package-root.js';
import { librarySource } from '../../emulator/unicorn/library.js';

const SOURCES = [
  'package.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'index.ts',
  'README.md',
  'ARCHITECTURE.md',
];
const FOLDERS = ['mmu', 'emulator', 'cli', 'labs', 'guests', 'scripts'];
const WORK = join(PACKAGE_ROOT, '.cache', 'pack-install');
const XDG = join(WORK, 'xdg');

function filesUnder(dir: string): string[] {
  return readdirSync(join(PACKAGE_ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  );
}

function sourceHash(): string {
  const h = createHash('sha256');
  for (const f of [...SOURCES, ...FOLDERS.flatMap(filesUnder)].sort())
    h.update(f)
      .update('\0')
      .update(readFileSync(join(PACKAGE_ROOT, f)))
      .update('\0');
  return h.digest('hex').slice(0, 16);
}

function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: 400_000 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** Packs and installs the current sources (or reuses the last install of the same sources). */
function installed(): { prefix: string; tarball: string } {
  const dir = join(WORK, sourceHash());
  const prefix = join(dir, 'prefix');
  const tarball = join(dir, 'nestvm.tgz');
  if (existsSync(join(prefix, 'bin', 'nestvm')) && existsSync(tarball)) return { prefix, tarball };
  if (existsSync(WORK))
    for (const old of readdirSync(WORK))
      if (old !== 'xdg') rmSync(join(WORK, old), { recursive: true, force: true });
  const stage = join(dir, 'stage');
  mkdirSync(stage, { recursive: true });
  for (const f of [...SOURCES, ...FOLDERS])
    cpSync(join(PACKAGE_ROOT, f), join(stage, f), { recursive: true });
  symlinkSync(join(PACKAGE_ROOT, 'node_modules'), join(stage, 'node_modules'));
  const pack = sh('npm', ['pack', '--silent', '--pack-destination', dir], stage);
  expect(pack.status, pack.stderr).toBe(0);
  const name = pack.stdout.trim().split('\n').pop()!;
  cpSync(join(dir, name), tarball);
  const inst = sh('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', tarball], dir);
  expect(inst.status, inst.stderr).toBe(0);
  return { prefix, tarball };
}

/** Whether `nestvm setup` can fetch trixie's package itself here (Debian/Ubuntu, root, apt). */
function canFetch(): boolean {
  const os = existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '';
  const which = (c: string) => sh('sh', ['-c', `command -v ${c}`], '/').status === 0;
  return (
    /^ID(_LIKE)?=.*\b(debian|ubuntu)\b/m.test(os) &&
    process.getuid?.() === 0 &&
    which('apt-get') &&
    which('dpkg-deb')
  );
}

describe('the npm package, installed', () => {
  it('packs without tests, sources or maps, installs, sets up and runs a sample by name from any folder', () => {
    const { prefix, tarball } = installed();
    const listing = sh('tar', ['tzf', tarball], '/').stdout.trim().split('\n');
    expect(listing).toContain('package/dist/cli/bin.js');
    expect(listing).toContain('package/scripts/setup.sh');
    expect(listing).toContain('package/guests/index.json');
    expect(listing.filter((f) => /\.map$|^package\/(test|bench|fuzz)\/|(?<!\.d)\.tsx?$/.test(f))).toEqual([]);

    const fetch = canFetch();
    const home = mkdtempSync(join(tmpdir(), 'nestvm-home-'));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HOME: home,
      XDG_CACHE_HOME: XDG,
      PATH: `${join(prefix, 'bin')}:${process.env.PATH}`,
    };
    delete env.NESTVM_LIBUNICORN;
    if (!fetch) env.NESTVM_LIBUNICORN = librarySource().file;
    const elsewhere = mkdtempSync(join(tmpdir(), 'nestvm-user-'));

    const setup = sh('nestvm', ['setup', '--json'], elsewhere, env);
    expect(setup.status, setup.stderr).toBe(0);
    const report = JSON.parse(setup.stdout);
    expect(report.unicorn.version).toMatch(/^2\.(\d+)\.\d+$/);
    expect(report.cacheDir).toBe(join(XDG, 'nestvm'));
    if (fetch) {
      expect(report.unicorn.from).toBe('record');
      expect(report.unicorn.record).toBe(join(XDG, 'nestvm', 'libunicorn.path'));
      expect(report.unicorn.path.startsWith(join(XDG, 'nestvm', 'unicorn') + '/')).toBe(true);
    }

    const run = sh('nestvm', ['run', 'memtouch'], elsewhere, env);
    expect(run.stdout).toBe(readFileSync(join(PACKAGE_ROOT, 'guests/expected/memtouch-x86_64.txt'), 'utf8'));
    expect(run.status).toBe(1);
    const arm = sh('nestvm', ['run', 'hello', '--arch', 'arm64'], elsewhere, env);
    expect([arm.status, arm.stdout]).toEqual([0, 'Hello from nestvm (arm64)!\n']);

    const guests = JSON.parse(sh('nestvm', ['guests', '--json'], elsewhere, env).stdout);
    const root = join(prefix, 'lib', 'node_modules', 'nestvm');
    for (const g of guests) {
      expect(g.path.startsWith(root + '/')).toBe(true);
      expect(statSync(g.path).isFile()).toBe(true);
    }
    rmSync(home, { recursive: true, force: true });
    rmSync(elsewhere, { recursive: true, force: true });
  }, 600_000);
});
