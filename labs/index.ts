/*
 * The labs `nestvm lab` knows, in the order `lab list` shows them. Each is a lab definition
 * (labs/framework/lab-api.ts) in its own folder; adding a lab is adding its folder and one line
 * here.
 */
import { entriesLab } from './entries/lab.js';
import type { LabDefinition } from './framework/lab-api.js';
import { guestptLab } from './guestpt/lab.js';
import { precopyLab } from './precopy/lab.js';
import { mergeLab } from './merge/lab.js';
import { reclaimLab } from './reclaim/lab.js';
import { walk2dLab } from './walk2d/lab.js';

// Each lab has its own parameter type; the framework only passes them from params() to the checks.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const LABS: readonly LabDefinition<any>[] = [
  entriesLab,
  walk2dLab,
  guestptLab,
  precopyLab,
  reclaimLab,
  mergeLab,
];

export const findLab = (id: string): LabDefinition | undefined => LABS.find((l) => l.id === id);
