/*
 * Lab `walk2d`: the reference walk and the hand-checked answers for SEED get full marks, the
 * untouched skeleton nothing (stated share: at most 10%), each planted mutant fails the check
 * named for its bug, and the layouts cover what the handout promises.
 */
import { describe, expect, it } from 'vitest';
import { gradeLab, type Grade } from '../../../labs/framework/grader.js';
import { rngFor } from '../../../labs/framework/seeded-rng.js';
import { walk2dLab } from '../../../labs/walk2d/lab.js';
import { LAYOUT_FORMATS, buildLayout, type QueryKind } from '../../../labs/walk2d/layout.js';
import { answerOf } from '../../../labs/walk2d/paper.js';
import { mutant, reference, skeleton } from '../submission.js';

const SEED = 20261203; // test/labs/walk2d/solution/answers.txt answers this seed's questions
const grade = (dir: string): Promise<Grade> => gradeLab(walk2dLab, { dir, seed: SEED, timeLimitMs: 8000 });
const failed = (g: Grade) => g.checks.filter((c) => !c.ok).map((c) => c.name);

// Each grade builds twelve Machines and spawns a child per check: a generous limit for loaded machines.
describe('lab walk2d', { timeout: 120_000 }, () => {
  it('the reference solution gets full marks', async () => {
    const g = await grade(reference(walk2dLab));
    expect(failed(g)).toEqual([]);
    expect(g.score).toBe(g.max);
    expect(g.max).toBe(60);
  });

  it('the untouched skeleton gets at most 10%, with a reason on every line', async () => {
    const g = await grade(skeleton(walk2dLab));
    expect(g.score).toBeLessThanOrEqual(0.1 * g.max);
    for (const c of g.checks.slice(0, 4))
      expect(c.reason).toMatch(/^TODO: walk2d is not written yet \(walk2d, /);
    for (const c of g.checks.slice(4)) expect(c.reason).toMatch(/^answers\.txt has no readable "q\d:" line$/);
  });

  const walkMutant = (from: string, to: string) => mutant(walk2dLab, 'walk2d.js', from, to);
  const MUTANTS = [
    {
      bug: 'PS ignored: every walk goes down to level 1',
      dir: () =>
        walkMutant(
          'const leaf = level === 1 || ((level === 2 || level === 3) && (value & 0x80n) !== 0n);',
          'const leaf = level === 1;',
        ),
      fails: ['walk-large'],
    },
    {
      bug: "the nested leaf's rights never checked",
      dir: () =>
        walkMutant("if (!allowed(e.rights, access)) return { fault: { level, reason: 'rights' } };", ''),
      fails: ['nested-faults'],
    },
    {
      bug: 'U/S not combined over the levels',
      dir: () => walkMutant('r.us &&= (value & 4n) !== 0n;', ''),
      fails: ['guest-faults'],
    },
    {
      bug: 'a wrong paper answer',
      dir: () => mutant(walk2dLab, 'answers.txt', 'q3: 10', 'q3: 15'),
      fails: ['paper-q3'],
    },
  ];
  for (const m of MUTANTS)
    it(`mutant "${m.bug}" fails ${m.fails.join(', ')}`, async () => {
      const g = await grade(m.dir());
      expect(failed(g)).toEqual(m.fails);
    });

  it('the layouts hold every outcome the handout promises, in every nested format', () => {
    const seen = new Set<string>();
    const kinds: QueryKind[] = ['4k', 'large', 'guest-fault', 'nested-fault'];
    for (const kind of kinds)
      for (const format of LAYOUT_FORMATS) {
        const rng = rngFor(SEED, `${kind}/${format}`);
        for (let i = 0; i < 2; i++)
          for (const { expected } of buildLayout(format, [kind, kind, kind, kind], rng).queries) {
            const r = expected.result as { kind: string; reason?: string };
            seen.add(`${r.kind}${r.reason === undefined ? '' : ':' + r.reason}/${expected.refs.length}`);
          }
      }
    for (const want of ['ok/24', 'ok/19', 'ok/14', 'guest-fault:protection/20', 'nested-fault:rights/24'])
      expect(seen).toContain(want);
    expect([...seen].some((s) => s.startsWith('guest-fault:not-present/'))).toBe(true);
    expect([...seen].filter((s) => s.startsWith('nested-fault:not-present/')).length).toBeGreaterThan(2);
  });

  it('a layout is a function of the seed: the same pages, queries and answers twice', () => {
    const build = () =>
      buildLayout('npt', ['4k', 'nested-fault', 'large', 'guest-fault'], rngFor(SEED, 'again'));
    const a = build();
    const b = build();
    expect(b.queries).toEqual(a.queries);
    expect([...b.data.pages.keys()]).toEqual([...a.data.pages.keys()]);
    expect([...b.data.pages.values()]).toEqual([...a.data.pages.values()]);
  });

  it('answers are read as decimal or hex numbers, one line each', () => {
    expect(answerOf('q1: 24\nq2: 0x7e, 132 7 0\n', 'q2')).toEqual([126, 132, 7, 0]);
    expect(answerOf('Q1:19', 'q1')).toEqual([19]);
    expect(answerOf('q1: nineteen', 'q1')).toBeNull();
    expect(answerOf('q1:', 'q1')).toBeNull();
  });
});
