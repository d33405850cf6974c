/*
 * The pen-and-paper part of lab `walk2d`: four seeded questions, answered in answers.txt as
 * `qN: <answer>` lines (numbers in decimal or 0x hex), each worth its own check.
 *
 *   q1  how many memory references a TLB miss takes with g guest levels (4 KiB, 2 MiB or 1 GiB
 *       pages) over n nested levels: each guest level costs a nested walk plus the entry itself,
 *       and the final address one more nested walk: g(n + 1) + n
 *   q2  the four guest table indices (PML4, PDPT, PD, PT) of a seeded gva
 *   q3  which reference (1-based) of a full 4 KiB walk over 4 nested levels reads the guest entry
 *       of level L: 5(5 - L)
 *   q4  the nested entry of level N for the page holding a seeded guest table (or the data page)
 *       is not present: at which reference does the walk stop? 5k + (5 - N), k = 0 for the PML4
 *       page ... 3 for the PT page, 4 for the data page
 */
import { rngFor } from '../framework/seeded-rng.js';

export interface PaperParams {
  readonly q1: { readonly guestLevels: 2 | 3 | 4; readonly nestedLevels: 3 | 4 | 5 };
  readonly q2: { readonly gva: number };
  readonly q3: { readonly level: 1 | 2 | 3 | 4 };
  readonly q4: { readonly page: number; readonly nestedLevel: 1 | 2 | 3 | 4 };
}

const PAGE_NAMES = ['PML4', 'PDPT', 'PD', 'PT', 'data'];
const GUEST_ENTRY = ['', 'PTE', 'PDE', 'PDPTE', 'PML4E'];
const PAGE_SIZE_OF = { 4: '4 KiB', 3: '2 MiB', 2: '1 GiB' } as const;

export function paperParams(seed: number): PaperParams {
  const r = rngFor(seed, 'walk2d/paper');
  const gva =
    r.range(1, 255) * 2 ** 39 +
    r.int(512) * 2 ** 30 +
    r.int(512) * 2 ** 21 +
    r.int(512) * 2 ** 12 +
    r.int(4096);
  return {
    q1: { guestLevels: r.pick([2, 3, 4] as const), nestedLevels: r.pick([3, 4, 5] as const) },
    q2: { gva },
    q3: { level: r.pick([1, 2, 3, 4] as const) },
    q4: { page: r.int(5), nestedLevel: r.pick([1, 2, 3, 4] as const) },
  };
}

const hex = (n: number) => '0x' + n.toString(16);

/** The questions as the handout's "Your parameters" section shows them. */
export function paperText(p: PaperParams): string {
  return [
    'Answer these in `answers.txt`, one line each (`q1: 19`; numbers in decimal or `0x` hex):',
    '',
    `- **q1.** A guest maps its memory with ${PAGE_SIZE_OF[p.q1.guestLevels]} pages (${p.q1.guestLevels} guest ` +
      `levels) and the nested tables have ${p.q1.nestedLevels} levels. How many memory references does one ` +
      'TLB miss take, counting every guest and nested entry read (not the data access itself)?',
    `- **q2.** Which four indices (PML4, PDPT, PD, PT, in that order) select the guest entries for the ` +
      `guest-virtual address \`${hex(p.q2.gva)}\`? (\`q2: a b c d\`)`,
    `- **q3.** In a full two-dimensional walk of a 4 KiB page (4 guest levels, 4 nested levels), which ` +
      `reference, counting from 1, reads the guest's ${GUEST_ENTRY[p.q3.level]}?`,
    `- **q4.** In the same walk, the nested level-${p.q4.nestedLevel} entry on the path to the guest-physical ` +
      `page that holds the ${pageName(p.q4.page)} is not present (all entries before it are). At which ` +
      'reference, counting from 1, does the walk stop?',
  ].join('\n');
}

const pageName = (k: number) => (k === 4 ? 'data the gva points at' : `guest's ${PAGE_NAMES[k]} table`);

/** The right answers, as lists of numbers. */
export function paperAnswers(p: PaperParams): Record<'q1' | 'q2' | 'q3' | 'q4', number[]> {
  const g = p.q1.guestLevels;
  const n = p.q1.nestedLevels;
  const idx = [39, 30, 21, 12].map((shift) => Math.floor(p.q2.gva / 2 ** shift) % 512);
  return {
    q1: [g * (n + 1) + n],
    q2: idx,
    q3: [5 * (5 - p.q3.level)],
    q4: [5 * p.q4.page + (5 - p.q4.nestedLevel)],
  };
}

/** The numbers answered for `q` in the file's text, or null when the line is missing or unreadable. */
export function answerOf(text: string, q: string): number[] | null {
  const line = text.split('\n').find((l) => l.trim().toLowerCase().startsWith(`${q}:`));
  if (line === undefined) return null;
  const words = line
    .slice(line.indexOf(':') + 1)
    .trim()
    .split(/[\s,]+/)
    .filter(Boolean);
  const nums = words.map((w) => (/^(0x[0-9a-f]+|\d+)$/i.test(w) ? Number(w) : NaN));
  return nums.length === 0 || nums.some(Number.isNaN) ? null : nums;
}
