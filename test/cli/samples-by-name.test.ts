/*
 * Samples by name (issue 9 item 2): `nestvm run memtouch`, `--arch arm64`, full names, from a
 * folder that is not the repository; a file of the same name still wins; an unknown name is one
 * line listing the samples, exit 2; `nestvm guests` (text and --json) lists every sample with its
 * absolute path.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listSamples, sampleName } from '../../emulator/loaders/samples.js';
import { findSample, sampleNames } from '../../emulator/loaders/sample-name.js';
import { PACKAGE_ROOT } from '../../emulator/package-root.js';
import { runCli } from './capture.js';

const samples = listSamples(PACKAGE_ROOT);
const expected = (name: string) => readFileSync(join(PACKAGE_ROOT, 'guests/expected', `${name}.txt`), 'utf8');

let dir = '';
const previous = process.cwd();
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nestvm-names-'));
  process.chdir(dir);
});
afterAll(() => {
  process.chdir(previous);
  rmSync(dir, { recursive: true, force: true });
});

describe('nestvm run <sample name>', () => {
  it('runs the x86_64 sample by its short name from any folder', async () => {
    const r = await runCli('run', 'memtouch');
    expect([r.status, r.stdout]).toEqual([1, expected('memtouch-x86_64')]);
  });

  it('takes --arch to pick the arm64 one, and full names as they are', async () => {
    const r = await runCli('run', 'memtouch', '--arch', 'arm64', '--json');
    const report = JSON.parse(r.stdout);
    expect(report.guest).toBe(join(PACKAGE_ROOT, 'guests/arm64/memtouch.s'));
    expect([r.status, report.console]).toEqual([0, expected('memtouch-arm64')]);
    const full = await runCli('run', 'hello-arm64');
    expect([full.status, full.stdout]).toEqual([0, expected('hello-arm64')]);
  });

  it('gives a file of that name in the current folder precedence', async () => {
    writeFileSync(join(dir, 'hello'), '; arch: x86_64\nmov al, 0x4b\nout 0xe9, al\nhlt\n');
    const r = await runCli('run', 'hello', '--arch', 'x86_64');
    // a raw binary named hello, not the sample: its text bytes are not a greeting
    expect(r.stdout).not.toBe(expected('hello-x86_64'));
    rmSync(join(dir, 'hello'));
  });

  it('refuses an unknown name in one line that lists the samples, exit 2', async () => {
    const r = await runCli('run', 'memtuch');
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('memtuch: no such file, and no sample of that name');
    for (const n of sampleNames(samples)) expect(r.stderr).toContain(n);
  });

  it('leaves a missing path to the loader', async () => {
    const r = await runCli('run', './memtouch');
    expect([r.status, r.stderr]).toEqual([2, 'nestvm: ./memtouch: cannot read guest: no such file\n']);
  });

  it('disasm and walk take names too', async () => {
    const d = await runCli('disasm', 'loop', '--arch', 'arm64');
    expect(d.status).toBe(0);
    expect(d.stdout).toContain(join(PACKAGE_ROOT, 'guests/arm64/loop.s'));
  });
});

describe('findSample', () => {
  it('finds every sample by full name, and by short name with its arch', () => {
    for (const s of samples) {
      expect(findSample(samples, s.name)).toBe(s);
      expect(findSample(samples, sampleName(s), s.arch)).toBe(s);
    }
    expect(findSample(samples, 'hello')?.arch).toBe('x86_64');
    expect(findSample(samples, 'nope')).toBeNull();
  });
});

describe('nestvm guests', () => {
  it('lists every sample by name, architecture and absolute path, dirtylog included', async () => {
    const r = await runCli('guests');
    expect(r.status).toBe(0);
    for (const s of samples) {
      expect(r.stdout).toMatch(new RegExp(`^${sampleName(s)}  +\\S`, 'm'));
      expect(r.stdout).toContain(`  ${s.arch.padEnd(6)}  ${join(PACKAGE_ROOT, s.path)}\n`);
    }
    expect(r.stdout).toMatch(/^dirtylog +a dirty-log workload/m);
  });

  it('--json gives the same list with absolute paths and short names', async () => {
    const r = await runCli('guests', '--json');
    const list = JSON.parse(r.stdout) as { name: string; shortName: string; arch: string; path: string }[];
    expect(list.map((g) => g.name)).toEqual(samples.map((s) => s.name));
    for (const [i, g] of list.entries()) {
      expect(g.path).toBe(join(PACKAGE_ROOT, samples[i].path));
      expect(g.shortName).toBe(sampleName(samples[i]));
    }
    const arm = JSON.parse((await runCli('guests', '--json', '--arch', 'arm64')).stdout) as {
      arch: string;
    }[];
    expect(arm.length).toBe(samples.filter((s) => s.arch === 'arm64').length);
    expect(new Set(arm.map((g) => g.arch))).toEqual(new Set(['arm64']));
  });
});
