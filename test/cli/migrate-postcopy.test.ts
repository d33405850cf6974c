/*
 * `nestvm migrate --postcopy` as a user runs it, on both architectures: stdout is exactly what a
 * plain `run` prints, also from EPT to nPT and into the identity layout; the post-copy lines and
 * the `postcopy` JSON object add up (every missing page came once, by request or by push; no RAM
 * page at the switch; the final RAM equal to an unmigrated run's); the trace carries one
 * page-request event per request; a planted corruption after the post-copy is exit 4 naming the
 * page (the bad post-copy flags are in migrate.test.ts's list). NESTVM_CHECKS=full is off (see migrate.test.ts).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../cli/exit-codes.js';
import { PACKAGE_ROOT } from '../../emulator/package-root.js';
import { fullChecks, setFullChecks } from '../../mmu/checks.js';
import { runCli } from './capture.js';

const checks = fullChecks();
const dir = mkdtempSync(join(tmpdir(), 'nestvm-postcopy-'));
beforeAll(() => setFullChecks(false));
afterAll(() => {
  setFullChecks(checks);
  rmSync(dir, { recursive: true, force: true });
});

const expected = (name: string) => readFileSync(join(PACKAGE_ROOT, 'guests/expected', `${name}.txt`), 'utf8');
const base = ['migrate', 'c-writer', '--mem', '4M', '--start-after', '1000000', '--postcopy'];

/* The post-copy object's own arithmetic, and its agreement with the rest of the report. */
interface Report {
  postcopy: Record<string, number | boolean | string | null>;
  precopy: string;
  stopAndCopy: number;
  handover: object;
  totalSent: number;
  rounds: { sent: number; remaining: number }[];
  reference: object;
}

function checkPostcopy(j: Report): void {
  const p = j.postcopy;
  expect(p.switchPages).toBe(0);
  expect((p.requested as number) + (p.pushed as number)).toBe(p.pending);
  expect(p.missing).toBe(0);
  expect(p.complete).toBe(true);
  expect(p.finalRam).toBe('equal');
  expect(p.mismatch).toBeNull();
  expect(j.precopy).toBe('postcopy');
  expect(j.stopAndCopy).toBe(0);
  expect(j.handover).toMatchObject({ ram: 'postcopy', mismatch: null, atInstructions: p.atInstructions });
  expect(j.totalSent).toBe(j.rounds.reduce((n, r) => n + r.sent, 0) + (p.pending as number));
  expect(j.reference).toEqual({ console: true, exit: true, instructions: true });
}

describe('nestvm migrate --postcopy', () => {
  it('x86-64, no pre-copy round, EPT to nPT into the identity layout: a plain run on stdout', async () => {
    const r = await runCli(
      ...base,
      ...'--postcopy-after 0 --bandwidth 4 --dst-format npt --dst-host-layout identity'.split(' '),
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(expected('c-writer-x86_64'));
    expect(r.stderr).toMatch(/EPT, scattered seed 1 -> nPT, identity\n/);
    expect(r.stderr).toMatch(/post-copy after 0 rounds\n/);
    expect(r.stderr).toMatch(/^ {2}no pre-copy round$/m);
    expect(r.stderr).toMatch(/^ +switch-over +at 1,000,000 source instructions, 0 RAM pages sent/m);
    const m = /missing pages +(\d+) at the switch: (\d+) by page request \(faults\), (\d+) pushed/.exec(
      r.stderr,
    );
    expect(m).not.toBeNull();
    const [pending, requested, pushed] = m!.slice(1).map(Number);
    expect(requested + pushed).toBe(pending);
    expect(requested).toBeGreaterThan(0); // the guest ran ahead of the push: it faulted pages over
    expect(pushed).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/^ +completed +yes, every page arrived once$/m);
    expect(r.stderr).toMatch(/^ +final RAM +equal to an unmigrated run/m);
    expect(r.stderr).toMatch(/verified +console, exit status and instruction count equal an unmigrated run/);
  });

  it('arm64 --json after the default one round: the postcopy keys, all adding up', async () => {
    const r = await runCli(...base, '--arch', 'arm64', '--json', '--dst-host-layout', 'identity');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.console).toBe(expected('c-writer-arm64'));
    expect(j.rounds).toHaveLength(1);
    expect(Object.keys(j.postcopy)).toEqual([
      'after',
      'switchPages',
      'atInstructions',
      'pending',
      'requested',
      'pushed',
      'discarded',
      'missing',
      'insnsWhileMissing',
      'slices',
      'guestEndedFirst',
      'complete',
      'finalRam',
      'mismatch',
    ]);
    expect(j.postcopy.after).toBe(1);
    expect(j.postcopy.pending).toBe(j.rounds[0].remaining);
    checkPostcopy(j);
  });

  for (const arch of ['x86_64', 'arm64']) {
    it(`${arch}: a slow push over a scattered destination, the trace's page requests`, async () => {
      const trace = join(dir, `${arch}.jsonl`);
      const flags = `--arch ${arch} --postcopy-after 0 --bandwidth 2 --dst-seed 9 --json --trace ${trace}`;
      const r = await runCli(...base, ...flags.split(' '));
      expect(r.status).toBe(0);
      const j = JSON.parse(r.stdout);
      expect(j.console).toBe(expected(`c-writer-${arch}`));
      checkPostcopy(j);
      expect(j.postcopy.insnsWhileMissing).toBeGreaterThan(0);
      const events = readFileSync(trace, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      const requests = events.filter((e) => e.type === 'page-request');
      expect(requests).toHaveLength(j.postcopy.requested);
      expect(new Set(requests.map((e) => e.page)).size).toBe(requests.length);
      const pushes = events.filter((e) => e.type === 'postcopy-push');
      expect(pushes.reduce((n, e) => n + e.pushed, 0)).toBe(j.postcopy.pushed);
      expect(pushes.reduce((n, e) => n + e.discarded, 0)).toBe(j.postcopy.discarded);
      expect(pushes.at(-1).missing).toBe(0);
    });
  }

  it('--corrupt-page after a post-copy: exit 4, the page named against the unmigrated run', async () => {
    const r = await runCli(...base, '--corrupt-page', '0x180123');
    expect(r.status).toBe(EXIT.guestFault);
    expect(r.stdout).toBe(expected('c-writer-x86_64'));
    expect(r.stderr).toMatch(
      /^nestvm: final RAM differs from an unmigrated run: page 384 \(guest-physical 0x180000\), reference hash [0-9a-f]{16}, destination hash [0-9a-f]{16}$/m,
    );
  });
});
