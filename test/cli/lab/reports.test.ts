/*
 * `lab grade`'s reports on a made-up grade: the text shows a student's control characters
 * escaped (no forged lines), JUnit XML escapes markup and drops what XML cannot hold, and
 * Gradescope's results carry every check with its score.
 */
import { describe, expect, it } from 'vitest';
import { gradeText } from '../../../cli/lab/grade-text.js';
import { gradescopeResults } from '../../../cli/lab/gradescope.js';
import { junitXml } from '../../../cli/lab/junit.js';
import type { Grade } from '../../../labs/framework/grader.js';

const grade: Grade = {
  lab: 'fake',
  title: 'Fake',
  seed: 3,
  score: 2,
  max: 7,
  checks: [
    { name: 'one', ok: true, score: 2, max: 2, ms: 12 },
    {
      name: 'two',
      ok: false,
      score: 0,
      max: 5,
      reason: '\u001b[2K\rtwo: OK (5/5) <&> "q"\u0001\nnext',
      ms: 3400,
    },
  ],
};

describe('lab grade reports', () => {
  it('text: one line per check, control characters shown as \\xNN', () => {
    expect(gradeText(grade)).toBe(
      'lab fake: Fake (seed 3)\none: OK (2/2)\ntwo: FAIL: \\x1b[2K\\x0dtwo: OK (5/5) <&> "q"\\x01 next (0/5)\nscore: 2/7\n',
    );
  });

  it('JUnit: markup escaped, characters XML cannot hold dropped, times in seconds', () => {
    const xml = junitXml(grade);
    expect(xml).toContain('<testcase classname="nestvm.lab.fake" name="one" time="0.012"/>');
    expect(xml).toContain('message="[2K\rtwo: OK (5/5) &lt;&amp;&gt; &quot;q&quot;\nnext"');
    expect([...xml].filter((c) => c < ' ' && !'\t\n\r'.includes(c))).toEqual([]);
    expect(xml).toContain('tests="2" failures="1"');
  });

  it('Gradescope: the total and one visible test per check', () => {
    expect(gradescopeResults(grade)).toEqual({
      score: 2,
      output: 'nestvm lab fake (seed 3): 2/7',
      tests: [
        { name: 'one', score: 2, max_score: 2, output: 'OK', visibility: 'visible' },
        {
          name: 'two',
          score: 0,
          max_score: 5,
          output: `FAIL: ${grade.checks[1].reason}`,
          visibility: 'visible',
        },
      ],
    });
  });
});
