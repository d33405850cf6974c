// Submission folders for the lab tests: a lab's skeleton, its reference solution (kept here in
// test/labs/<id>/solution/, never shipped), or a planted mutant of the reference.
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
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

/** The untouched skeleton of a lab, as `lab start` would leave it. */
export function skeleton(lab: LabDefinition): string {
  const dir = folderWith({});
  for (const f of lab.files) cpSync(join(lab.home, 'skeleton', f), join(dir, f));
  return dir;
}

/** The reference solution's text of one file. */
export const solutionText = (lab: string, file: string): string =>
  readFileSync(join(solutionDir(lab), file), 'utf8');

/** Every file of a lab's reference solution (name -> text). */
const solutionFiles = (lab: string): Record<string, string> =>
  Object.fromEntries(readdirSync(solutionDir(lab)).map((f) => [f, solutionText(lab, f)]));

/**
 * The reference with one planted bug: in `file`, `from` (which must occur exactly once) replaced
 * by `to`; the solution's other files beside it as they are.
 */
export function mutant(lab: string, file: string, from: string, to: string): string {
  const text = solutionText(lab, file);
  const at = text.indexOf(from);
  if (at < 0 || text.indexOf(from, at + 1) >= 0)
    throw new Error(`mutant: '${from}' is not in ${file} exactly once`);
  return folderWith({ ...solutionFiles(lab), [file]: text.slice(0, at) + to + text.slice(at + from.length) });
}

/** The reference solution of a lab, copied into a fresh folder. */
export function reference(lab: LabDefinition): string {
  return folderWith(solutionFiles(lab.id));
}
