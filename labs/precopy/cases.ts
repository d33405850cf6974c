/*
 * Lab `precopy`: the seeded guests a student's pre-copy loop migrates, and the images they run.
 *
 * Every guest is one build, c-writer-lab.elf (guests/c-writer/main.c with -DWRITER_PARAMS), for
 * x86-64 or arm64. Its sizes, write rate and LCG seed are seven 64-bit words in .data at the
 * symbol `writer_params`; a case is made by patching those words in a copy of the image, so a
 * variant costs no build and no assembly:
 *
 *   word  0 ws_pages   pages of the working set (written first, then read for the checksum)
 *         1 hot_pages  the hot window each pass rewrites (it moves on by half its size per pass)
 *         2 passes     passes over the hot window
 *         3 steps      stores per pass
 *         4 filler     LCG steps between two stores: the higher, the slower the guest writes
 *         5 seed       the LCG's first value
 *         6 dma        1: nestvm-dma copies the first page onto the last after every pass
 *
 * Four cases per seed, each a role the checks rely on (their ranges keep every seed
 * non-degenerate: the first three converge within their round limit, the last never does):
 *
 *   steady   x86-64, EPT -> nPT: a small hot window written fast; converges after a round or two
 *   trickle  arm64, stage-2 -> stage-2: a wide window written slowly over a narrow link; the dirty
 *            set shrinks round by round
 *   device   x86-64 with the dirty ring (PML): the DMA engine in the loop, whose registers and
 *            writes must cross over
 *   runaway  x86-64, nPT -> EPT: a hot window wider than the downtime bound, written fast; it
 *            never converges, so the loop must stop after maxRounds
 */
import {
  packagePath,
  type Arch,
  type FormatName,
  type GuestImage,
  type PrecopyOptions,
} from '../../index.js';
import type { Rng } from '../framework/lab-api.js';
import { rngFor } from '../framework/seeded-rng.js';

export const WRITER_SYMBOL = 'writer_params';
export const MEM_BYTES = 4 << 20;

export interface WriterParams {
  readonly wsPages: number;
  readonly hotPages: number;
  readonly passes: number;
  readonly steps: number;
  readonly filler: number;
  readonly seed: number;
  readonly dma: boolean;
}

export type CaseRole = 'steady' | 'trickle' | 'device' | 'runaway';

export interface MachineSide {
  readonly format: FormatName;
  readonly seed: number;
  readonly dirtyLog?: 'bitmap' | 'ring';
}

export interface GuestCase {
  readonly role: CaseRole;
  readonly arch: Arch;
  readonly writer: WriterParams;
  readonly source: MachineSide;
  readonly destination: MachineSide;
  /** Guest instructions the source runs before the student's loop starts. */
  readonly startAfter: number;
  readonly link: PrecopyOptions;
}

export interface PrecopyParams {
  readonly cases: readonly GuestCase[];
}

/** A range [lo, hi] drawn from, or a fixed value. */
type Drawn = number | readonly [number, number];

/* What each role draws from: the ranges that keep it in its role for every seed. */
interface RoleSpec {
  readonly arch: Arch;
  readonly formats: readonly [FormatName, FormatName];
  readonly ring: boolean;
  readonly dma: boolean;
  readonly wsPages: Drawn;
  readonly hotPages: Drawn;
  readonly passes: number;
  readonly steps: number;
  readonly filler: Drawn;
  /** Thousands of instructions before the loop starts: past crt0's clearing and the fill. */
  readonly startK: Drawn;
  readonly bandwidth: number;
  readonly downtimePages: Drawn;
  readonly maxRounds: Drawn;
}

const ROLES: Record<CaseRole, RoleSpec> = {
  steady: {
    arch: 'x86_64',
    formats: ['ept', 'npt'],
    ring: false,
    dma: false,
    wsPages: [96, 160],
    hotPages: [8, 16],
    passes: 5,
    steps: 3000,
    filler: 6,
    startK: [800, 1100],
    bandwidth: 32,
    downtimePages: 24,
    maxRounds: 8,
  },
  trickle: {
    arch: 'arm64',
    formats: ['s2', 's2'],
    ring: false,
    dma: false,
    wsPages: [64, 128],
    hotPages: [32, 48],
    passes: 3,
    steps: 600,
    filler: [350, 450],
    startK: [500, 700],
    bandwidth: 8,
    downtimePages: 12,
    maxRounds: 10,
  },
  device: {
    arch: 'x86_64',
    formats: ['npt', 'ept'],
    ring: true,
    dma: true,
    wsPages: [64, 128],
    hotPages: [12, 20],
    passes: 6,
    steps: 1500,
    filler: [20, 40],
    startK: [800, 1100],
    bandwidth: 32,
    downtimePages: 24,
    maxRounds: 8,
  },
  runaway: {
    arch: 'x86_64',
    formats: ['npt', 'ept'],
    ring: false,
    dma: false,
    wsPages: 160,
    hotPages: [40, 56],
    passes: 12,
    steps: 4096,
    filler: [2, 4],
    startK: [800, 1000],
    bandwidth: 32,
    downtimePages: [12, 20],
    maxRounds: [3, 5],
  },
};

function drawCase(role: CaseRole, rng: Rng): GuestCase {
  const r = ROLES[role];
  const draw = (d: Drawn) => (typeof d === 'number' ? d : rng.range(d[0], d[1]));
  const writer = {
    wsPages: draw(r.wsPages),
    hotPages: draw(r.hotPages),
    passes: r.passes,
    steps: r.steps,
    filler: draw(r.filler),
    seed: rng.range(1, 1e6),
    dma: r.dma,
  };
  const source: MachineSide = {
    format: r.formats[0],
    seed: rng.range(1, 999),
    ...(r.ring ? { dirtyLog: 'ring' } : {}),
  };
  const destination: MachineSide = { format: r.formats[1], seed: rng.range(1000, 1999) };
  const startAfter = draw(r.startK) * 1000;
  const link = {
    bandwidth: r.bandwidth,
    sliceInsns: 10_000,
    downtimePages: draw(r.downtimePages),
    maxRounds: draw(r.maxRounds),
  };
  return { role, arch: r.arch, writer, source, destination, startAfter, link };
}

/** The student's four guests: a pure function of the seed. */
export function precopyParams(seed: number): PrecopyParams {
  const rng = rngFor(seed, 'precopy/params');
  return { cases: (['steady', 'trickle', 'device', 'runaway'] as const).map((role) => drawCase(role, rng)) };
}

/** The case in a few words, for check messages. */
export const caseName = (c: GuestCase): string =>
  `${c.role} (${c.arch}, ${c.source.format} -> ${c.destination.format})`;

/** Where the lab build of c-writer is, for an architecture. */
export const writerPath = (arch: Arch): string => packagePath('guests', arch, 'c-writer', 'c-writer-lab.elf');

/** A copy of `image` whose writer_params hold `w` (the segment that holds them is copied, the rest shared). */
export function patchWriter(image: GuestImage, w: WriterParams): GuestImage {
  const sym = image.symbols.find((s) => s.name === WRITER_SYMBOL);
  if (sym === undefined) throw new Error(`${image.origin} has no ${WRITER_SYMBOL}`);
  const words = [w.wsPages, w.hotPages, w.passes, w.steps, w.filler, w.seed, w.dma ? 1 : 0];
  const segments = image.segments.map((s) => {
    const at = sym.addr - s.gpa;
    if (at < 0 || at + words.length * 8 > s.data.length) return s;
    const data = s.data.slice();
    const view = new DataView(data.buffer);
    words.forEach((v, i) => {
      view.setUint32(at + i * 8, v, true);
      view.setUint32(at + i * 8 + 4, 0, true);
    });
    return { ...s, data };
  });
  if (segments.every((s, i) => s === image.segments[i]))
    throw new Error(`${WRITER_SYMBOL} is not in a loaded segment of ${image.origin}`);
  return { ...image, segments };
}

/** The handout's "Your parameters" section: the four guests and their links. */
export function casesText(p: PrecopyParams): string {
  const rows = p.cases.map((c) => {
    const w = c.writer;
    const log = c.source.dirtyLog === 'ring' ? 'ring' : 'bitmap';
    const dev = w.dma ? ', DMA' : '';
    return (
      `| ${c.role} | ${c.arch} | ${c.source.format} -> ${c.destination.format} | ${log} | ` +
      `${w.wsPages} / ${w.hotPages}${dev} | ${w.filler} | ${c.startAfter.toLocaleString('en-US')} | ` +
      `${c.link.bandwidth} | ${c.link.downtimePages} | ${c.link.maxRounds} |`
    );
  });
  return [
    'Your four guests (c-writer-lab.elf with these words patched into `writer_params`):',
    '',
    '| guest | arch | formats | dirty log | pages / hot window | filler | start after | bandwidth | downtime pages | max rounds |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    'Every link carries its bandwidth in pages per slice of 10,000 guest instructions.',
  ].join('\n');
}
