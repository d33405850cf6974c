/*
 * Lab `entries`: the reference solution gets full marks, the untouched skeleton nothing (the
 * stated share: at most 10%), each planted mutant fails the check named for its bug and only
 * such checks, and the same submission and seed get the same grade.
 */
import { describe, expect, it } from 'vitest';
import { entriesLab } from '../../../labs/entries/lab.js';
import { gradeLab, type Grade } from '../../../labs/framework/grader.js';
import { mutant, reference, skeleton } from '../submission.js';

const SEED = 20261203;
const grade = (dir: string, seed = SEED): Promise<Grade> =>
  gradeLab(entriesLab, { dir, seed, timeLimitMs: 8000 });
const failed = (g: Grade) => g.checks.filter((c) => !c.ok).map((c) => c.name);

// A grade spawns a child per check: generous limits, so a loaded machine slows the tests, never fails them.
describe('lab entries', { timeout: 120_000 }, () => {
  it('the reference solution gets full marks', async () => {
    const g = await grade(reference(entriesLab));
    expect(failed(g)).toEqual([]);
    expect(g.score).toBe(60);
    expect(g.max).toBe(60);
  });

  it('the untouched skeleton gets at most 10% and each line says what is missing', async () => {
    const g = await grade(skeleton(entriesLab));
    expect(g.score).toBeLessThanOrEqual(0.1 * g.max);
    for (const c of g.checks) expect(c.reason).toMatch(/^TODO: \w+ is not written yet \(\w+, '(ept|npt|s2)'/);
  });

  const MUTANTS = [
    {
      bug: 'EPT write without read',
      from: 'const r = rights.r || rights.w ? bit(0) : 0n;',
      to: 'const r = rights.r ? bit(0) : 0n;',
      fails: ['encode-leaf-ept'],
    },
    {
      bug: 'stage-2 frame not masked to 36 bits on read (DBM leaks into the frame)',
      from: 'const frameOf = (format, v) => Number((v >> 12n) & frameMask(format));',
      to: "const frameOf = (format, v) => Number((v >> 12n) & (format === 's2' ? (1n << 40n) - 1n : frameMask(format)));",
      fails: ['decode-leaf'],
    },
    {
      bug: 'VTTBR VMID in the wrong bits',
      from: 'return (BigInt(opts.vmid & 0xffff) << 48n) | addr;',
      to: 'return (BigInt(opts.vmid & 0xffff) << 32n) | addr;',
      fails: ['root-pointer'],
    },
    {
      bug: 'nPT NX inverted',
      from: 'const nx = rights.x ? 0n : bit(63);',
      to: 'const nx = rights.x ? bit(63) : 0n;',
      fails: ['encode-leaf-npt'],
    },
  ];

  for (const m of MUTANTS)
    it(`mutant "${m.bug}" fails ${m.fails.join(', ')}`, async () => {
      const g = await grade(mutant(entriesLab, 'entries.js', m.from, m.to));
      expect(failed(g)).toEqual(m.fails);
      expect(g.score).toBe(g.max - m.fails.reduce((s, n) => s + g.checks.find((c) => c.name === n)!.max, 0));
    });

  it('the same submission and seed get the same grade, case for case', async () => {
    const m = MUTANTS[0];
    const dir = mutant(entriesLab, 'entries.js', m.from, m.to);
    const reasons = async (seed: number) => (await grade(dir, seed)).checks.map((c) => c.reason ?? 'OK');
    const first = await reasons(SEED);
    expect(await reasons(SEED)).toEqual(first);
    expect(first[0]).toMatch(/^encodeLeaf\('ept', frame 0x[0-9a-f]+, -w.?, 'wb'\): got 0x/);
  });
});
