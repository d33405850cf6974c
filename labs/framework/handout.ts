/*
 * What `nestvm lab start` writes into a student's folder, as a list of files (name, text), so
 * the CLI only writes them and tests can read them without a disk:
 *
 *   README.md      the lab's handout, then "Your parameters" for the seed (the lab's paramsText)
 *   <skeleton>     the lab's skeleton files, as they are in labs/<id>/skeleton/ (or as the lab's
 *                  renderFile makes them for the seed: guestpt appends the student's pairs)
 *   package.json   an ES-module package that depends on nestvm (its library API) and whose
 *                  `npm run grade` runs `nestvm lab grade <id> .`
 *   lab.json       { lab, seed, student? }: which lab and seed the folder was started with, the
 *                  seed `lab grade` uses when no --seed or --student is given
 *
 * The reference solutions live in the repository's test/labs/ and are never among these files.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabDefinition } from './lab-api.js';

export interface StartedFile {
  readonly name: string;
  readonly text: string;
}

/** The record of the folder's lab and seed. */
export interface LabRecord {
  readonly lab: string;
  readonly seed: number;
  readonly student?: string;
}

export const LAB_RECORD = 'lab.json';

/** A skeleton file for a seed, through the lab's renderFile when it has one. */
export function skeletonText<P>(lab: LabDefinition<P>, file: string, params: P, seed: number): string {
  const text = readFileSync(join(lab.home, 'skeleton', file), 'utf8');
  return lab.renderFile === undefined ? text : lab.renderFile(file, text, params, seed);
}

export function handoutFiles<P>(
  lab: LabDefinition<P>,
  record: LabRecord,
  nestvmVersion: string,
): StartedFile[] {
  const params = lab.params(record.seed);
  const base = readFileSync(join(lab.home, 'README.md'), 'utf8').trimEnd();
  const who = record.student === undefined ? '' : ` for student \`${record.student}\``;
  const mine = lab.paramsText === undefined ? '' : `\n\n${lab.paramsText(params).trimEnd()}`;
  const readme =
    `${base}\n\n## Your parameters\n\nThis folder was started with seed ${record.seed}${who}. ` +
    `The grader uses the same seed (\`lab.json\`), so grade with the same one.${mine}\n`;
  const manifest = {
    name: `nestvm-lab-${lab.id}`,
    version: '0.0.0',
    private: true,
    type: 'module',
    scripts: { grade: `nestvm lab grade ${lab.id} .` },
    dependencies: { nestvm: `^${nestvmVersion}` },
  };
  return [
    { name: 'README.md', text: readme },
    ...lab.files.map((f) => ({ name: f, text: skeletonText(lab, f, params, record.seed) })),
    { name: 'package.json', text: JSON.stringify(manifest, null, 2) + '\n' },
    { name: LAB_RECORD, text: JSON.stringify(record, null, 2) + '\n' },
  ];
}
