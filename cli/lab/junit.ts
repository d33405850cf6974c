/*
 * JUnit XML for a grade, for classrooms graded in CI (GitHub Classroom, GitLab, Jenkins).
 *
 *   <testsuites name="nestvm lab entries" tests="8" failures="3">
 *     <testsuite name="entries" tests="8" failures="3" errors="0" skipped="0" time="1.234">
 *       <properties><property name="seed" value="7"/> <property name="score" value="30/60"/></properties>
 *       <testcase classname="nestvm.lab.entries" name="decode-leaf" time="0.456">
 *         <failure message="FAIL: ... (0/10)" type="check">...</failure>
 *       </testcase>
 *
 * One test case per check, a <failure> for each check that failed; text is escaped for XML
 * attributes and character data, and characters XML 1.0 cannot hold are dropped.
 */
import type { Grade } from '../../labs/framework/grader.js';

// XML 1.0 allows tab, LF, CR and everything from U+0020 except the surrogates, U+FFFE and U+FFFF.
const NOT_XML = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu;

export const xmlEscape = (text: string): string =>
  text
    .replace(NOT_XML, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');

const seconds = (ms: number): string => (ms / 1000).toFixed(3);

export function junitXml(g: Grade): string {
  const failures = g.checks.filter((c) => !c.ok).length;
  const total = g.checks.reduce((s, c) => s + c.ms, 0);
  const counts = `tests="${g.checks.length}" failures="${failures}"`;
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="nestvm lab ${xmlEscape(g.lab)}" ${counts} time="${seconds(total)}">`,
    `  <testsuite name="${xmlEscape(g.lab)}" ${counts} errors="0" skipped="0" time="${seconds(total)}">`,
    '    <properties>',
    `      <property name="seed" value="${g.seed}"/>`,
    `      <property name="score" value="${g.score}/${g.max}"/>`,
    '    </properties>',
  ];
  for (const c of g.checks) {
    const head = `    <testcase classname="nestvm.lab.${xmlEscape(g.lab)}" name="${xmlEscape(c.name)}" time="${seconds(c.ms)}"`;
    if (c.ok) {
      out.push(`${head}/>`);
      continue;
    }
    const reason = xmlEscape(c.reason ?? '');
    out.push(`${head}>`, `      <failure message="${reason}" type="check">${reason} (0/${c.max})</failure>`);
    out.push('    </testcase>');
  }
  out.push('  </testsuite>', '</testsuites>');
  return out.join('\n') + '\n';
}
