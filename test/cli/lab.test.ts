/*
 * `nestvm lab` as a student and an instructor use it: list, start into an empty folder (and the
 * refusal of a non-empty one), grade the skeleton (one line per check, exit 12), grade the
 * reference (exit 0), and the Gradescope and JUnit files checked against their formats.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../cli/exit-codes.js';
import { PACKAGE_ROOT } from '../../emulator/package-root.js';
import { studentSeed } from '../../labs/framework/seeded-rng.js';
import { LABS } from '../../labs/index.js';
import { solutionText } from '../labs/submission.js';
import { runCli } from './capture.js';

const fresh = () => join(mkdtempSync(join(tmpdir(), 'nestvm-lab-cli-')), 'work');

/* Gradescope's results.json: the fields its autograder specification names, with their types. */
function gradescopeProblems(doc: unknown): string[] {
  const out: string[] = [];
  const d = doc as { score?: unknown; tests?: unknown };
  if (typeof d.score !== 'number') out.push('score is not a number');
  if (!Array.isArray(d.tests)) return [...out, 'tests is not a list'];
  let sum = 0;
  for (const t of d.tests as Record<string, unknown>[]) {
    for (const k of ['name', 'output'] as const)
      if (typeof t[k] !== 'string') out.push(`test ${k} is not text`);
    for (const k of ['score', 'max_score'] as const)
      if (typeof t[k] !== 'number') out.push(`test ${k} is not a number`);
    if (!['visible', 'hidden', 'after_due_date', 'after_published'].includes(t.visibility as string))
      out.push(`test visibility ${String(t.visibility)}`);
    if ((t.score as number) > (t.max_score as number))
      out.push(`test ${String(t.name)} scores above its max`);
    sum += t.score as number;
  }
  if (sum !== d.score) out.push(`score ${String(d.score)} is not the sum of the tests (${sum})`);
  return out;
}

/* JUnit XML: the prolog, balanced elements, escaped text, counts that agree with the cases. */
function junitProblems(xml: string): string[] {
  const out: string[] = [];
  if (!xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n')) out.push('no XML prolog');
  const body = xml.replace(/^<\?xml[^>]*\?>/, '');
  const stack: string[] = [];
  for (const m of body.matchAll(/<(\/?)([a-z]+)((?:\s+[a-z_]+="[^"<]*")*)\s*(\/?)>/g)) {
    if (m[1] === '/') {
      if (stack.pop() !== m[2]) out.push(`unbalanced </${m[2]}>`);
    } else if (m[4] !== '/') stack.push(m[2]);
  }
  if (stack.length > 0) out.push(`unclosed ${stack.join(', ')}`);
  const text = body.replace(/<[^>]*>/g, '');
  if (/[<>]|&(?!(amp|lt|gt|quot|apos);)/.test(text)) out.push('unescaped text');
  const suite = /<testsuite name="[^"]+" tests="(\d+)" failures="(\d+)"/.exec(body);
  if (suite === null) return [...out, 'no testsuite'];
  const cases = body.match(/<testcase /g)?.length ?? 0;
  const failures = body.match(/<failure /g)?.length ?? 0;
  if (Number(suite[1]) !== cases) out.push(`tests="${suite[1]}" but ${cases} testcases`);
  if (Number(suite[2]) !== failures) out.push(`failures="${suite[2]}" but ${failures} failures`);
  return out;
}

// Grading spawns a child per check: a generous limit for loaded machines.
describe('nestvm lab', { timeout: 120_000 }, () => {
  it('list shows every lab with its title, topic and points', async () => {
    const r = await runCli('lab', 'list');
    expect(r.status).toBe(0);
    for (const lab of LABS) expect(r.stdout).toContain(`${lab.id} `);
    expect(r.stdout).toMatch(/^entries\s+60 points {2}Nested page-table entries \(EPT, nPT/m);
    const json = JSON.parse((await runCli('lab', 'list', '--json')).stdout);
    expect(json[0]).toEqual({
      id: 'entries',
      title: expect.any(String),
      topic: expect.any(String),
      points: 60,
    });
  });

  it('start writes the handout, the skeleton, package.json and lab.json, and refuses a non-empty folder', async () => {
    const dir = fresh();
    const r = await runCli('lab', 'start', 'entries', dir, '--student', 'ada@example.edu');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('next:');
    expect(readdirSync(dir).sort()).toEqual(['README.md', 'entries.js', 'lab.json', 'package.json']);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    expect(manifest.type).toBe('module');
    expect(manifest.dependencies.nestvm).toMatch(/^\^\d+\.\d+\.\d+$/);
    expect(JSON.parse(readFileSync(join(dir, 'lab.json'), 'utf8'))).toEqual({
      lab: 'entries',
      seed: studentSeed('ada@example.edu'),
      student: 'ada@example.edu',
    });
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toMatch(
      /## Your parameters[\s\S]*VMID is `0x[0-9a-f]+`/,
    );
    expect(existsSync(join(dir, 'solution'))).toBe(false);

    const again = await runCli('lab', 'start', 'entries', dir);
    expect(again.status).toBe(EXIT.usage);
    expect(again.stderr).toBe(
      `nestvm: ${dir} is not empty: choose an empty folder, or give --force to write into it\n`,
    );
    expect((await runCli('lab', 'start', 'entries', dir, '--force')).status).toBe(0);
  });

  it('grade on the skeleton prints one line per check and the score, and exits 12', async () => {
    const dir = fresh();
    await runCli('lab', 'start', 'entries', dir, '--seed', '5');
    const gs = join(dir, 'results.json');
    const junit = join(dir, 'junit.xml');
    const r = await runCli('lab', 'grade', 'entries', dir, '--gradescope', gs, '--junit', junit);
    expect(r.status).toBe(EXIT.labIncomplete);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('lab entries: Nested page-table entries (seed 5)');
    expect(lines.slice(1, -1)).toHaveLength(8);
    for (const l of lines.slice(1, -1)) expect(l).toMatch(/^[a-z0-9-]+: FAIL: TODO: .* \(0\/\d+\)$/);
    expect(lines.at(-1)).toBe('score: 0/60');
    expect(gradescopeProblems(JSON.parse(readFileSync(gs, 'utf8')))).toEqual([]);
    expect(junitProblems(readFileSync(junit, 'utf8'))).toEqual([]);
    expect(readFileSync(junit, 'utf8')).toContain('failures="8"');
  });

  it('grade on the reference gets full marks and exit 0, with valid Gradescope and JUnit files', async () => {
    const dir = fresh();
    await runCli('lab', 'start', 'entries', dir, '--student', 'ada@example.edu');
    writeFileSync(join(dir, 'entries.js'), solutionText('entries', 'entries.js'));
    const gs = join(dir, 'results.json');
    const junit = join(dir, 'junit.xml');
    const r = await runCli('lab', 'grade', 'entries', dir, '--json', '--gradescope', gs, '--junit', junit);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ lab: 'entries', seed: studentSeed('ada@example.edu'), score: 60, max: 60 });
    const results = JSON.parse(readFileSync(gs, 'utf8'));
    expect(gradescopeProblems(results)).toEqual([]);
    expect(results.score).toBe(60);
    expect(junitProblems(readFileSync(junit, 'utf8'))).toEqual([]);
  });

  it('an endless loop is graded "timed out" within the limit, and the grade goes on', async () => {
    const dir = fresh();
    await runCli('lab', 'start', 'entries', dir);
    const looping = solutionText('entries', 'entries.js').replace(
      'export function encodeTable(format, frame) {',
      'export function encodeTable(format, frame) {\n  for (;;) {}',
    );
    writeFileSync(join(dir, 'entries.js'), looping);
    const started = Date.now();
    const r = await runCli('lab', 'grade', 'entries', dir, '--time-limit', '5000');
    expect(r.stdout).toContain('encode-table: FAIL: timed out (0/6)\n');
    expect(r.stdout).toContain('score: 54/60\n');
    expect(r.status).toBe(EXIT.labIncomplete);
    expect(Date.now() - started).toBeLessThan(8 * 5000);
  });

  it('the npm package ships the handouts, skeletons and harnesses, and no reference solution', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: PACKAGE_ROOT,
      encoding: 'utf8',
    });
    const files: string[] = JSON.parse(out)[0].files.map((f: { path: string }) => f.path);
    for (const lab of LABS) {
      expect(files).toContain(`labs/${lab.id}/README.md`);
      for (const f of lab.files) expect(files).toContain(`labs/${lab.id}/skeleton/${f}`);
    }
    expect(files).toContain('labs/framework/child.mjs');
    expect(files).toContain('labs/walk2d/harness.mjs');
    expect(files).toContain('labs/README.md');
    expect(files.filter((f) => /solution|^test\//.test(f))).toEqual([]);
  });

  it('bad input is a usage error in one line', async () => {
    const bad = async (...argv: string[]) => {
      const r = await runCli(...argv);
      expect(r.status).toBe(EXIT.usage);
      return r.stderr;
    };
    expect(await bad('lab')).toBe('nestvm: name a lab command: list, start or grade (see nestvm --help)\n');
    expect(await bad('lab', 'grade', 'nosuch')).toMatch(/^nestvm: no lab named 'nosuch' \(labs: entries/);
    expect(await bad('lab', 'grade', 'entries', '--seed', '1', '--student', 'x')).toContain('give one');
    expect(await bad('lab', 'grade', 'entries', '--seed', '-1')).toContain('--seed');
    expect(await bad('lab', 'grade', 'entries', join(tmpdir(), 'no-such-folder-here'))).toContain(
      'is not a folder',
    );
  });
});
