/*
 * The seeded parameters of lab `guestpt`: five guest-virtual pages, each to be mapped to a given
 * guest-physical page with given rights, and the block of assembly data `lab start` appends to
 * the student's guestpt.s (so the guest can loop over them).
 *
 * The pairs are chosen so that the tables have some shape: two pages share a PT, a third shares
 * their PDPT only, the other two sit under PML4 entries of their own. Guest-physical pages are
 * distinct, in [4 MiB, 8 MiB), clear of the image (1 MiB) and of the suggested tables (2 MiB).
 * The rights cover writable and read-only, executable and not, user and supervisor.
 */
import { rngFor } from '../framework/seeded-rng.js';

/** Rights of a pair, as the generated block encodes them: bit 0 W, bit 1 X, bit 2 U. */
export const FLAG_W = 1;
export const FLAG_X = 2;
export const FLAG_U = 4;

export interface Pair {
  readonly gva: number;
  readonly gpa: number;
  readonly flags: number;
}

export interface GuestptParams {
  readonly pairs: readonly Pair[];
}

const PAGE = 4096;
const GPA_FIRST = 0x40_0000;
const GPA_PAGES = 1024;

const gvaOf = (l4: number, l3: number, l2: number, l1: number): number =>
  ((l4 * 512 + l3) * 512 + l2) * 512 * PAGE + l1 * PAGE;

export function guestptParams(seed: number): GuestptParams {
  const r = rngFor(seed, 'guestpt/pairs');
  const l4 = r.range(1, 200);
  const l3 = r.int(512);
  const l2 = r.int(512);
  const l1 = r.int(511);
  const gvas = [
    gvaOf(l4, l3, l2, l1),
    gvaOf(l4, l3, l2, l1 + 1),
    gvaOf(l4, (l3 + 1 + r.int(510)) % 512, r.int(512), r.int(512)),
    gvaOf(l4 + 1 + r.int(20), r.int(512), r.int(512), r.int(512)),
    gvaOf(l4 + 30 + r.int(20), r.int(512), r.int(512), r.int(512)),
  ];
  const flags = shuffle([FLAG_W, FLAG_X, FLAG_U, FLAG_W | FLAG_U, r.int(8)], (n) => r.int(n));
  const gpas = new Set<number>();
  while (gpas.size < gvas.length) gpas.add(GPA_FIRST + r.int(GPA_PAGES) * PAGE);
  const gpaList = [...gpas];
  return { pairs: gvas.map((gva, i) => ({ gva, gpa: gpaList[i], flags: flags[i] })) };
}

function shuffle<T>(list: T[], int: (n: number) => number): T[] {
  for (let i = list.length - 1; i > 0; i--) {
    const j = int(i + 1);
    [list[i], list[j]] = [list[j], list[i]];
  }
  return list;
}

const hex16 = (n: number) => '0x' + n.toString(16).padStart(16, '0');
export const rightsText = (f: number) =>
  `${f & FLAG_W ? 'writable' : 'read-only'}, ${f & FLAG_X ? 'executable' : 'not executable'}, ${f & FLAG_U ? 'user' : 'supervisor only'}`;

/** The line that starts the generated block in guestpt.s. */
export const BLOCK_MARK = '; ---- your mappings';

/** The assembly data block for these pairs (ends the file; defines pairs, pairs_end, image_end). */
export function pairsBlock(p: GuestptParams, seed: number): string {
  return [
    `${BLOCK_MARK} (seed ${seed}), written by nestvm lab start: do not edit below this line ----`,
    '; each: gva, gpa, flags (bit 0 writable, bit 1 executable, bit 2 user); image_end ends the image',
    'pairs:',
    ...p.pairs.map((x) => `        .quad ${hex16(x.gva)}, ${hex16(x.gpa)}, ${x.flags}`),
    'pairs_end:',
    'image_end:',
    '',
  ].join('\n');
}

/** The handout's table of the pairs. */
export function pairsText(p: GuestptParams): string {
  return [
    'Your guest must map these pages (the same values end your `guestpt.s`, as data):',
    '',
    '| guest-virtual | guest-physical | rights |',
    '| --- | --- | --- |',
    ...p.pairs.map((x) => `| \`${hex16(x.gva)}\` | \`${hex16(x.gpa)}\` | ${rightsText(x.flags)} |`),
  ].join('\n');
}
