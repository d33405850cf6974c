/*
 * The three entry formats by name, for callers that choose one at run time (the Machine picks nPT
 * or EPT for x86-64 guests, stage-2 for arm64; the CLI lets a lab pick either x86 format).
 *
 * Invariant: FORMATS[name].name === name.
 */

import type { EntryFormat, FormatName } from './entry-format.js';
import { ept } from './ept.js';
import { npt } from './npt.js';
import { stage2 } from './stage2.js';

export const FORMATS: Readonly<Record<FormatName, EntryFormat>> = { ept, npt, s2: stage2 };

export const FORMAT_NAMES: readonly FormatName[] = ['ept', 'npt', 's2'];

export const formatByName = (name: FormatName): EntryFormat => FORMATS[name];
