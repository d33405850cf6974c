/*
 * Lab `entries`: encode and decode the three nested entry formats (Intel EPT, AMD nPT, arm64
 * stage-2) and their root pointers (EPTP, nCR3, VTTBR), as nestvm's own mmu/gpt formats do.
 *
 * The student writes entries.js (five exported functions, 64-bit values as BigInt). Every check
 * is a property test: seeded random cases, each compared with what nestvm's format computes
 * (cases.ts). The per-student parameter is the VMID of the stage-2 root pointer cases.
 */
import { packagePath } from '../../index.js';
import { checkCases } from '../framework/case-check.js';
import { defineLab, type CheckDefinition } from '../framework/lab-api.js';
import { rngFor } from '../framework/seeded-rng.js';
import {
  decodeLeafCases,
  decodeTableCases,
  encodeLeafCases,
  encodeTableCases,
  notPresentCases,
  rootPointerCases,
} from './cases.js';

export interface EntriesParams {
  /** The VMID of the student's VM (VTTBR_EL2 bits 63:48). */
  readonly vmid: number;
}

const FILE = 'entries.js';
const CASES = 40;

type Check = CheckDefinition<EntriesParams>;

const leafCheck = (f: 'ept' | 'npt' | 's2', points: number): Check => ({
  name: `encode-leaf-${f}`,
  points,
  run: (ctx) => checkCases(ctx, FILE, 'encodeLeaf', encodeLeafCases(f, ctx.rng, CASES)),
});

export const entriesLab = defineLab<EntriesParams>({
  id: 'entries',
  title: 'Nested page-table entries',
  topic: 'EPT, nPT and stage-2 entry formats; EPTP, nCR3, VTTBR',
  home: packagePath('labs', 'entries'),
  files: ['entries.js'],
  params: (seed) => ({ vmid: 1 + rngFor(seed, 'entries/vmid').int(0xfffe) }),
  paramsText: (p) =>
    `Your VM's VMID is \`0x${p.vmid.toString(16)}\`. The root-pointer check builds VTTBR values for it ` +
    '(and for other VMIDs); `rootPointer` must place it as the Arm ARM says.',
  checks: [
    leafCheck('ept', 10),
    leafCheck('npt', 10),
    leafCheck('s2', 10),
    {
      name: 'encode-table',
      points: 6,
      run: (ctx) => checkCases(ctx, FILE, 'encodeTable', encodeTableCases(ctx.rng, CASES)),
    },
    {
      name: 'root-pointer',
      points: 8,
      run: (ctx) => checkCases(ctx, FILE, 'rootPointer', rootPointerCases(ctx.rng, ctx.params.vmid, CASES)),
    },
    {
      name: 'decode-leaf',
      points: 10,
      run: (ctx) => checkCases(ctx, FILE, 'decodeLeaf', decodeLeafCases(ctx.rng, CASES * 2)),
    },
    {
      name: 'decode-table',
      points: 3,
      run: (ctx) => checkCases(ctx, FILE, 'decodeTable', decodeTableCases(ctx.rng, CASES)),
    },
    {
      name: 'not-present',
      points: 3,
      run: (ctx) => checkCases(ctx, FILE, 'decodeLeaf', notPresentCases(ctx.rng, CASES)),
    },
  ],
});
