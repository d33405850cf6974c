/*
 * `nestvm migrate` as a user runs it: stdout is exactly what a plain `run` prints, --json carries
 * the documented keys, a planted page corruption is exit 4 naming the page, and bad flags are one
 * line and exit 2. NESTVM_CHECKS=full is off (its sweeps would make each migration take seconds).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../cli/exit-codes.js';
import { PACKAGE_ROOT } from '../../emulator/package-root.js';
import { fullChecks, setFullChecks } from '../../mmu/checks.js';
import { runCli } from './capture.js';

const checks = fullChecks();
beforeAll(() => setFullChecks(false));
afterAll(() => setFullChecks(checks));

const expected = (name: string) => readFileSync(join(PACKAGE_ROOT, 'guests/expected', `${name}.txt`), 'utf8');

describe('nestvm migrate', () => {
  it('c-writer, EPT to nPT: the console of a plain run on stdout, the rounds on stderr', async () => {
    const r = await runCli(
      'migrate',
      'c-writer',
      '--mem',
      '4M',
      '--dst-format',
      'npt',
      '--start-after',
      '1000000',
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(expected('c-writer-x86_64'));
    expect(r.stderr).toMatch(/EPT, scattered seed 1 -> nPT, scattered seed 2\n/);
    expect(r.stderr).toMatch(/^ +round +sent +dirtied +insns +dirty\/Minsn +remaining$/m);
    expect(r.stderr).toMatch(/^ +0 +16\d /m);
    expect(r.stderr).toMatch(/converged +yes/);
    expect(r.stderr).toMatch(/verified +console, exit status and instruction count equal an unmigrated run/);
  });

  it('--json on arm64: the documented keys, rounds that chain, a verified hand-over', async () => {
    const r = await runCli(
      'migrate',
      'c-writer',
      '--arch',
      'arm64',
      '--mem',
      '4M',
      '--json',
      '--start-after',
      '600000',
      '--downtime-pages',
      '8',
      '--max-rounds',
      '3',
      '--dst-host-layout',
      'identity',
    );
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j)).toEqual([
      'guest',
      'arch',
      'source',
      'destination',
      'options',
      'rounds',
      'totalSent',
      'stopAndCopy',
      'converged',
      'precopy',
      'instructions',
      'handover',
      'exit',
      'console',
      'reference',
      'postcopy',
    ]);
    expect(j.postcopy).toBeNull();
    expect(j.destination).toEqual({ format: 's2', hostLayout: 'identity', seed: 2 });
    expect(j.options).toEqual({
      bandwidth: 32,
      slice: 10000,
      downtimePages: 8,
      maxRounds: 3,
      startAfter: 600000,
    });
    expect(j.rounds).toHaveLength(3);
    expect(Object.keys(j.rounds[0])).toEqual(['round', 'sent', 'dirtied', 'insns', 'rate', 'remaining']);
    expect(j.converged).toBe(false);
    expect(j.precopy).toBe('max-rounds');
    expect(j.stopAndCopy).toBe(j.rounds[2].remaining);
    expect(j.handover).toMatchObject({ ram: 'equal', mismatch: null });
    expect(j.console).toBe(expected('c-writer-arm64'));
    expect(j.reference).toEqual({ console: true, exit: true, instructions: true });
  });

  it('--corrupt-page: exit 4, the page named, the destination never runs', async () => {
    const r = await runCli(
      'migrate',
      'c-writer',
      '--mem',
      '4M',
      '--corrupt-page',
      '0x180123',
      '--start-after',
      '1000000',
    );
    expect(r.status).toBe(EXIT.guestFault);
    // what the guest printed on the source before the hand-over, and nothing after it
    expect(expected('c-writer-x86_64').startsWith(r.stdout)).toBe(true);
    expect(r.stdout).toMatch(/^c-writer \(x86-64\)[^]*pass 1: /);
    expect(r.stdout).not.toMatch(/checksum/);
    expect(r.stderr).toMatch(
      /^nestvm: RAM differs at the hand-over: page 384 \(guest-physical 0x180000\), source hash [0-9a-f]{16}, destination hash [0-9a-f]{16}; the destination did not run$/m,
    );
  });

  const bad: [string[], RegExp][] = [
    [['--bandwidth', '0'], /--bandwidth: '0' is not a positive whole number/],
    [['--slice', 'x'], /--slice: 'x' is not a positive whole number/],
    [['--max-rounds', '-1'], /max-rounds/],
    [['--downtime-pages', '1.5'], /--downtime-pages: '1.5' is not a whole number/],
    [['--dst-format', 'pae'], /dst-format/],
    [['--dst-seed', 'x'], /--dst-seed: 'x' is not a whole number/],
    [['--no-dirty-tracking'], /migrate needs the dirty log/],
    [['--bandwidth', '8', '--bandwidth', '9'], /--bandwidth was given 2 times/],
    [['--dst-seed'], /Not enough arguments following: dst-seed/],
    [['--max-insns', '1000'], /do not apply to migrate/],
    [['--host-mem', '2M', '--mem', '4M'], /needs guest RAM fully backed/],
    [['--corrupt-page', '0x1000000'], /--corrupt-page: 0x1000000 is not in guest RAM/],
    [['--postcopy-after', '1'], /--postcopy-after applies only with --postcopy/],
    [['--postcopy', '--postcopy-after', '-1'], /postcopy-after/],
    [['--postcopy', '--postcopy-after', 'x'], /--postcopy-after: 'x' is not a whole number/],
  ];
  for (const [flags, message] of bad) {
    it(`refuses ${flags.join(' ')} with one line and exit 2`, async () => {
      const r = await runCli('migrate', 'c-writer', ...flags);
      expect(r.status).toBe(EXIT.usage);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stdout).toBe('');
    });
  }
});
