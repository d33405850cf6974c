/*
 * The grader on made-up labs: every check yields one result in order, a check that throws is a
 * FAIL with its message (the grader goes on), the score is the sum of the passed checks, and
 * each check's random cases depend on the seed and its own name only.
 */
import { describe, expect, it } from 'vitest';
import { gradeLab } from '../../../labs/framework/grader.js';
import { defineLab, fail, pass, labPoints } from '../../../labs/framework/lab-api.js';
import { folderWith } from '../submission.js';

const lab = defineLab<{ n: number }>({
  id: 'fake',
  title: 'A made-up lab',
  topic: 'grading',
  home: '/nonexistent',
  files: [],
  params: (seed) => ({ n: seed * 2 }),
  checks: [
    { name: 'passes', points: 3, run: (ctx) => (ctx.params.n === ctx.seed * 2 ? pass : fail('params')) },
    { name: 'fails', points: 5, run: () => fail('no good') },
    {
      name: 'throws',
      points: 2,
      run: () => {
        throw new Error('the check broke\nsecond line');
      },
    },
    {
      name: 'reads',
      points: 1,
      run: (ctx) => (ctx.readText('a.txt') === 'hi' && ctx.readText('b.txt') === null ? pass : fail('read')),
    },
    { name: 'draws', points: 4, run: (ctx) => fail(String(ctx.rng.int(1e9))) },
  ],
});

describe('gradeLab', () => {
  it('grades every check in order; a throw is a FAIL and the grade goes on', async () => {
    const dir = folderWith({ 'a.txt': 'hi' });
    const g = await gradeLab(lab, { dir, seed: 4 });
    expect(g.checks.map((c) => [c.name, c.ok, c.score, c.max, c.reason])).toEqual([
      ['passes', true, 3, 3, undefined],
      ['fails', false, 0, 5, 'no good'],
      ['throws', false, 0, 2, 'the check could not run: the check broke'],
      ['reads', true, 1, 1, undefined],
      ['draws', false, 0, 4, expect.stringMatching(/^\d+$/)],
    ]);
    expect(g.score).toBe(4);
    expect(g.max).toBe(labPoints(lab));
    const again = await gradeLab(lab, { dir, seed: 4 });
    expect(again.checks[4].reason).toBe(g.checks[4].reason);
    expect((await gradeLab(lab, { dir, seed: 5 })).checks[4].reason).not.toBe(g.checks[4].reason);
  });

  it('defineLab refuses two checks of one name and points that are not positive whole numbers', () => {
    const base = { id: 'x', title: '', topic: '', home: '', files: [], params: () => 0 };
    const check = (name: string, points: number) => ({ name, points, run: () => pass });
    expect(() => defineLab({ ...base, checks: [check('a', 1), check('a', 2)] })).toThrow(
      'two checks are named a',
    );
    expect(() => defineLab({ ...base, checks: [check('a', 0)] })).toThrow('positive whole number');
    expect(() => defineLab({ ...base, checks: [check('a', 1.5)] })).toThrow('positive whole number');
  });
});
