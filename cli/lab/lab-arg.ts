/*
 * The <lab> positional of `lab start` and `lab grade`: a lab id, refused with the list of labs
 * when it names none.
 */
import { LABS, findLab } from '../../labs/index.js';
import type { LabDefinition } from '../../labs/framework/lab-api.js';
import { UsageError } from '../errors.js';
import { oneValue } from '../parse.js';

export function parseLab(raw: unknown): LabDefinition {
  const id = oneValue('lab', raw);
  const lab = findLab(id);
  if (lab === undefined)
    throw new UsageError(
      `no lab named '${id}' (labs: ${LABS.map((l) => l.id).join(', ')}; see nestvm lab list)`,
    );
  return lab;
}
