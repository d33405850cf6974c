/*
 * `lab grade`'s text and --json forms of a grade (labs/framework/grader.ts's Grade).
 *
 *   text   one line per check, as MIT 6.S081's `make grade` prints them, then the score:
 *            encode-leaf-ept: OK (10/10)
 *            decode-leaf: FAIL: TODO: decodeLeaf is not written yet (decodeLeaf, 'ept', ...) (0/10)
 *            score: 10/60
 *   json   the same as one object: { lab, seed, score, max, checks: [{ name, ok, score, max, reason? }] }
 *
 * Neither holds a clock reading, so the same submission and seed print the same bytes. A reason
 * can carry a student's text (a thrown message): in the text form its control characters are
 * shown as \xNN, so an escape sequence cannot redraw the terminal into a forged "OK" line.
 */
import type { Grade } from '../../labs/framework/grader.js';

/** A reason on one line, at most this long (the JSON and the Gradescope output keep it whole). */
const REASON_WIDTH = 300;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

const oneLine = (text: string): string => {
  const flat = text
    .replace(/\s*\n\s*/g, ' ')
    .replace(CONTROL, (c) => '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0'));
  return flat.length > REASON_WIDTH ? flat.slice(0, REASON_WIDTH - 3) + '...' : flat;
};

export function gradeText(g: Grade): string {
  const lines = [`lab ${g.lab}: ${g.title} (seed ${g.seed})`];
  for (const c of g.checks)
    lines.push(
      c.ok
        ? `${c.name}: OK (${c.score}/${c.max})`
        : `${c.name}: FAIL: ${oneLine(c.reason ?? '')} (0/${c.max})`,
    );
  lines.push(`score: ${g.score}/${g.max}`);
  return lines.join('\n') + '\n';
}

export function gradeJson(g: Grade): object {
  return {
    lab: g.lab,
    seed: g.seed,
    score: g.score,
    max: g.max,
    checks: g.checks.map((c) =>
      c.ok
        ? { name: c.name, ok: true, score: c.score, max: c.max }
        : { name: c.name, ok: false, score: 0, max: c.max, reason: c.reason },
    ),
  };
}
