/*
 * End to end, as a user runs them: every bundled sample through `nestvm run --json`, on both
 * architectures (a sample that never stops under the instruction limit the index gives), must print exactly its golden console text (guests/expected/, captured on QEMU
 * for arm64) and exit with the status guests/index.json gives.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listSamples } from '../../emulator/loaders/index.js';
import { sampleStop } from '../../emulator/loaders/samples.js';
import { PACKAGE_ROOT } from '../../emulator/package-root.js';
import { runCli } from '../cli/capture.js';

const samples = listSamples(PACKAGE_ROOT);

describe.each(samples.map((s) => [s.name, s] as const))('sample %s', (_name, sample) => {
  it('prints its golden output and exits with its status', async () => {
    const limit = sample.maxInsns === undefined ? [] : ['--max-insns', String(sample.maxInsns)];
    const r = await runCli('run', join(PACKAGE_ROOT, sample.path), '--json', ...limit);
    const report = JSON.parse(r.stdout);
    expect(report.console).toBe(readFileSync(join(PACKAGE_ROOT, sample.expected), 'utf8'));
    expect(report.exit.code).toBe(sample.exitStatus);
    expect(r.status).toBe(sample.exitStatus);
    expect(report.exit.reason).toBe(sampleStop(sample));
    expect(report.instructions).toBeGreaterThan(0);
  });
});

describe('run without --json', () => {
  it('streams the console to stdout and puts the summary on stderr', async () => {
    const r = await runCli('run', join(PACKAGE_ROOT, 'guests/x86_64/hello.s'));
    expect(r.stdout).toBe('Hello from nestvm (x86-64)!\n');
    expect(r.stderr).toMatch(/x86_64 guest halted after [\d,]+ instructions, exit status 0/);
    expect(r.status).toBe(0);
  });

  it('stops at --max-insns with status 6 and says where', async () => {
    const r = await runCli('run', join(PACKAGE_ROOT, 'guests/arm64/loop.s'), '--max-insns', '1000', '--json');
    const report = JSON.parse(r.stdout);
    expect(report.exit).toMatchObject({ reason: 'limit', code: 6 });
    expect(report.instructions).toBe(1000);
    expect(r.status).toBe(6);
  });
});
