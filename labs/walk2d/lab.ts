/*
 * Lab `walk2d`: the two-dimensional walk of a guest-virtual address, reference by reference.
 *
 * The student writes walk2d.js: walk2d(machine, query) walks an x86-64 guest's 4-level tables,
 * each table entry's guest-physical address first translated by the nested tables (EPT, nPT or
 * stage-2), and returns every entry read and the outcome. The grader builds random layouts in a
 * real Machine (layout.ts) and compares every reference and the result with nestvm's walker
 * (judge.ts). answers.txt holds the seeded pen-and-paper part (paper.ts).
 */
import { join } from 'node:path';
import { packagePath } from '../../index.js';
import { checkCases, type Case } from '../framework/case-check.js';
import { defineLab, fail, pass, type CheckDefinition } from '../framework/lab-api.js';
import { judgeWalk } from './judge.js';
import { LAYOUT_FORMATS, buildLayout, type QueryKind } from './layout.js';
import { answerOf, paperAnswers, paperParams, paperText, type PaperParams } from './paper.js';

const HOME = packagePath('labs', 'walk2d');
const HARNESS = join(HOME, 'harness.mjs');
const QUERIES_PER_LAYOUT = 4;

type Check = CheckDefinition<PaperParams>;

const hex = (n: number) => '0x' + n.toString(16);

/* Three layouts (one per nested format) of `kind` queries, every query one case. */
const walkCheck = (name: string, kind: QueryKind, points: number): Check => ({
  name,
  points,
  run: (ctx) => {
    const cases: Case[] = [];
    for (const format of LAYOUT_FORMATS) {
      const layout = buildLayout(format, Array(QUERIES_PER_LAYOUT).fill(kind), ctx.rng);
      for (const { query, expected } of layout.queries)
        cases.push({
          what: `${format} layout, gva ${hex(query.gva)}, ${query.user ? 'user' : 'supervisor'} ${query.access}`,
          args: [layout.data, query],
          judge: judgeWalk(expected),
        });
    }
    return checkCases(ctx, 'walk2d.js', 'walk2d', cases, { harness: HARNESS });
  },
});

const paperCheck = (q: 'q1' | 'q2' | 'q3' | 'q4'): Check => ({
  name: `paper-${q}`,
  points: 3,
  run: (ctx) => {
    const text = ctx.readText('answers.txt');
    if (text === null) return fail('answers.txt is missing');
    const got = answerOf(text, q);
    if (got === null) return fail(`answers.txt has no readable "${q}:" line`);
    const want = paperAnswers(ctx.params)[q];
    return got.length === want.length && got.every((v, i) => v === want[i])
      ? pass
      : fail(`${q}: ${got.join(' ')} is not right`);
  },
});

export const walk2dLab = defineLab<PaperParams>({
  id: 'walk2d',
  title: 'The two-dimensional walk',
  topic: 'guest x86-64 tables over EPT, nPT and stage-2, reference by reference',
  home: HOME,
  files: ['walk2d.js', 'answers.txt'],
  params: paperParams,
  paramsText: paperText,
  checks: [
    walkCheck('walk-4k', '4k', 16),
    walkCheck('walk-large', 'large', 10),
    walkCheck('guest-faults', 'guest-fault', 12),
    walkCheck('nested-faults', 'nested-fault', 10),
    paperCheck('q1'),
    paperCheck('q2'),
    paperCheck('q3'),
    paperCheck('q4'),
  ],
});
