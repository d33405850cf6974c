// Submission folders for the lab tests: a lab's skeleton, its reference solution (kept here in
// test/labs/<id>/solution/, never shipped), or a planted mutant of the reference.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { skeletonText } from '../../labs/framework/handout.js';
import type { LabDefinition } from '../../labs/framework/lab-api.js';

const made: string[] = [];
afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

export const solutionDir = (lab: string): string =>
  fileURLToPath(new URL(`./${lab}/solution/`, import.meta.url));

/** A fresh folder holding `files` (name -> text) and an ES-module package.json. */
export function folderWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'nestvm-lab-'));
  made.push(dir);
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** The untouched skeleton of a lab, as `lab start` would leave it for `seed`. */
export function skeleton<P>(lab: LabDefinition<P>, seed = 0): string {
  const params = lab.params(seed);
  return folderWith(Object.fromEntries(lab.files.map((f) => [f, skeletonText(lab, f, params, seed)])));
}

/** The reference solution's text of one file. */
export const solutionText = (lab: string, file: string): string =>
  readFileSync(join(solutionDir(lab), file), 'utf8');

/** Every file of a lab's reference solution (name -> text). */
const solutionFiles = (lab: string): Record<string, string> =>
  Object.fromEntries(readdirSync(solutionDir(lab)).map((f) => [f, solutionText(lab, f)]));

/* The solution's files as `lab start` would write them for `seed` (through the lab's renderFile). */
function rendered<P>(
  lab: LabDefinition<P>,
  files: Record<string, string>,
  seed: number,
): Record<string, string> {
  const params = lab.params(seed);
  const render = (f: string, text: string) =>
    lab.renderFile === undefined || !lab.files.includes(f) ? text : lab.renderFile(f, text, params, seed);
  return Object.fromEntries(Object.entries(files).map(([f, text]) => [f, render(f, text)]));
}

/**
 * The reference with one planted bug: in `file`, `from` (which must occur exactly once) replaced
 * by `to`; the solution's other files beside it as they are.
 */
export function mutant<P>(lab: LabDefinition<P>, file: string, from: string, to: string, seed = 0): string {
  const text = solutionText(lab.id, file);
  const at = text.indexOf(from);
  if (at < 0 || text.indexOf(from, at + 1) >= 0)
    throw new Error(`mutant: '${from}' is not in ${file} exactly once`);
  const files = { ...solutionFiles(lab.id), [file]: text.slice(0, at) + to + text.slice(at + from.length) };
  return folderWith(rendered(lab, files, seed));
}

/**
 * The reference solution of a lab in a fresh folder, as `lab start` would write it for `seed`
 * (guestpt's reference is code only; its pairs are appended).
 */
export function reference<P>(lab: LabDefinition<P>, seed = 0): string {
  return folderWith(rendered(lab, solutionFiles(lab.id), seed));
}
