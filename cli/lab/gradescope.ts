/*
 * Gradescope's autograder results.json for a grade.
 *
 * Gradescope reads /autograder/results/results.json after run_autograder; its format (the
 * "Autograder specifications" page of Gradescope's documentation) is an object with a total
 * `score` and a list of `tests`, each with `name`, `score`, `max_score`, `output` (text shown to
 * the student) and `visibility` ('visible', 'hidden', 'after_due_date', 'after_published').
 * Every check is visible: the student sees the same lines `lab grade` prints locally.
 */
import type { Grade } from '../../labs/framework/grader.js';

export interface GradescopeTest {
  name: string;
  score: number;
  max_score: number;
  output: string;
  visibility: 'visible';
}

export interface GradescopeResults {
  score: number;
  output: string;
  tests: GradescopeTest[];
}

export function gradescopeResults(g: Grade): GradescopeResults {
  return {
    score: g.score,
    output: `nestvm lab ${g.lab} (seed ${g.seed}): ${g.score}/${g.max}`,
    tests: g.checks.map((c) => ({
      name: c.name,
      score: c.score,
      max_score: c.max,
      output: c.ok ? 'OK' : `FAIL: ${c.reason ?? ''}`,
      visibility: 'visible',
    })),
  };
}
