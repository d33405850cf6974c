/*
 * A cheaper way for Ink to turn one frame's writes into terminal text.
 *
 * Ink draws a frame by replaying the positioned writes of every Text into a grid of styled cells,
 * then turning each row back into a string (ink/build/output.js, Output.prototype.get). At 120x40
 * and ten frames a second that second half was most of a frame's cost, for two reasons:
 *
 *   - every frame starts from width x height fresh blank-cell objects;
 *   - each row is turned into text by diffing the ANSI style sets of every pair of neighbouring
 *     cells (three Sets and three arrays per cell), although neighbours nearly always share one
 *     style, and most rows are the same as in the previous frame.
 *
 * outputGridText() is a drop-in for that method with the same result, text for text:
 *
 *     writes ──► grid (one shared blank cell) ──► row text
 *                                                   │ same cells as this row last frame? reuse it
 *                                                   │ else walk the cells: a style change is looked
 *                                                   │ up in a memo of ansi-tokenize's own diff;
 *                                                   │ equal style sets need no codes at all
 *                                                   ▼
 *                                            rows joined by '\n'
 *
 * Cell layout in a row (as Ink's): a character of display width w takes its own cell and w-1
 * continuation cells (value ''), which carry its styles. Writes past the width extend the row;
 * cells never written are skipped.
 *
 * Invariants:
 *   - the text equals what Ink's own get() returns for the same writes; the tests replay random
 *     writes, clips and transformers through both and compare;
 *   - cells are never modified, so sharing them between rows and frames is safe (Ink only reads
 *     them, and the styled-char objects themselves come from ink-output-cache.ts);
 *   - the row memo compares cell identity, so it can never return text for different cells;
 *   - a frame holding any operation it does not know (another kind, or a field of another shape)
 *     is drawn by Ink's own get(), so a change inside Ink can cost speed but never a wrong screen;
 *   - installing twice is a no-op; when Ink's Output is not shaped as expected (ink-output-class.ts),
 *     nothing changes. It is installed only when asked (ink-patches.ts, from the live view's start).
 */
import sliceAnsi from 'slice-ansi';
import { ansiCodesToString, diffAnsiCodes } from '@alcalzone/ansi-tokenize';
import type { AnsiCode, StyledChar } from '@alcalzone/ansi-tokenize';
import { inkOutputClass, type Clip, type InkOutput, type Operation } from './ink-output-class.js';

const NO_STYLES: AnsiCode[] = [];
const BLANK: StyledChar = Object.freeze({
  type: 'char',
  value: ' ',
  fullWidth: false,
  styles: NO_STYLES,
}) as StyledChar;

/* ---- style transitions ---- */

const sameStyles = (a: AnsiCode[], b: AnsiCode[]): boolean => {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]!.code !== b[i]!.code) return false;
  return true;
};

const styleKey = (s: AnsiCode[]): string => s.map((c) => `${c.code}\u0000${c.endCode}`).join('\u0001');

const transitions = new Map<string, string>();

/** The codes that take the terminal from style set `from` to `to` (ansi-tokenize's diff, memoised). */
function transition(from: AnsiCode[], to: AnsiCode[]): string {
  if (sameStyles(from, to)) return '';
  const key = `${styleKey(from)}\u0002${styleKey(to)}`;
  let text = transitions.get(key);
  if (text === undefined) {
    text = ansiCodesToString(diffAnsiCodes(from, to));
    if (transitions.size > 4096) transitions.clear();
    transitions.set(key, text);
  }
  return text;
}

/** One row as terminal text: styles switched on and off as the cells need, trailing blanks cut. */
export function rowText(cells: readonly (StyledChar | undefined)[]): string {
  let out = '';
  let prev: AnsiCode[] | null = null;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i];
    if (cell === undefined) continue;
    out += prev === null ? ansiCodesToString(cell.styles) : transition(prev, cell.styles);
    out += cell.value;
    prev = cell.styles;
  }
  if (prev !== null) out += transition(prev, NO_STYLES);
  return out.trimEnd();
}

/* ---- the grid ---- */

/** Continuation cells of wide characters, one per style set, so that equal rows keep equal cells. */
const continuations = new WeakMap<AnsiCode[], StyledChar>();

function continuation(styles: AnsiCode[]): StyledChar {
  let cell = continuations.get(styles);
  if (cell === undefined) {
    cell = Object.freeze({ type: 'char', value: '', fullWidth: false, styles }) as StyledChar;
    continuations.set(styles, cell);
  }
  return cell;
}

const widths = new Map<string, number>();

function cellWidth(out: InkOutput, value: string): number {
  let w = widths.get(value);
  if (w === undefined) {
    w = Math.max(1, out.caches.getStringWidth(value));
    if (widths.size > 4096) widths.clear();
    widths.set(value, w);
  }
  return w;
}

/** A write's lines after the innermost clip, and where they start; null when wholly outside. */
function clipped(out: InkOutput, op: Operation & { type: 'write' }, clip: Clip | undefined) {
  let { x, y } = op;
  let lines = op.text.split('\n');
  if (!clip) return { x, y, lines };
  const across = typeof clip.x1 === 'number' && typeof clip.x2 === 'number';
  const down = typeof clip.y1 === 'number' && typeof clip.y2 === 'number';
  if (across && (x + out.caches.getWidestLine(op.text) < clip.x1! || x > clip.x2!)) return null;
  if (down && (y + lines.length < clip.y1! || y > clip.y2!)) return null;
  if (across) {
    const x1 = clip.x1!;
    const x2 = clip.x2!;
    lines = lines.map((line) => {
      const width = out.caches.getStringWidth(line);
      return sliceAnsi(line, x < x1 ? x1 - x : 0, x + width > x2 ? x2 - x : width);
    });
    if (x < x1) x = x1;
  }
  if (down) {
    const y1 = clip.y1!;
    const y2 = clip.y2!;
    const from = y < y1 ? y1 - y : 0;
    const to = y + lines.length > y2 ? y2 - y : lines.length;
    lines = lines.slice(from, to);
    if (y < y1) y = y1;
  }
  return { x, y, lines };
}

function paint(
  out: InkOutput,
  grid: StyledChar[][],
  op: Operation & { type: 'write' },
  clip: Clip | undefined,
) {
  const placed = clipped(out, op, clip);
  if (!placed) return;
  const { x, y, lines } = placed;
  // As Ink does: a line that falls outside the grid does not advance the row, so after one such
  // line (only possible past the bottom, or above the top without a clip) the rest fall out too.
  let down = 0;
  for (let index = 0; index < lines.length; index++) {
    const row = grid[y + down];
    if (!row) continue;
    down++;
    let line = lines[index]!;
    for (const t of op.transformers) line = t(line, index);
    let col = x;
    for (const cell of out.caches.getStyledChars(line)) {
      row[col] = cell;
      const w = cellWidth(out, cell.value);
      for (let k = 1; k < w; k++) row[col + k] = continuation(cell.styles);
      col += w;
    }
  }
}

/* ---- rows remembered from the previous frame ---- */

interface Remembered {
  cells: (StyledChar | undefined)[];
  text: string;
}

let remembered: Remembered[] = [];

function cachedRowText(y: number, cells: (StyledChar | undefined)[]): string {
  const last = remembered[y];
  if (last && last.cells.length === cells.length) {
    let same = true;
    for (let i = 0; i < cells.length && same; i++) same = last.cells[i] === cells[i];
    if (same) return last.text;
  }
  const text = rowText(cells);
  remembered[y] = { cells, text };
  return text;
}

/** Ink's Output.get(), computed the cheap way (see the essay above). */
export function outputGridText(this: InkOutput): { output: string; height: number } {
  const grid: StyledChar[][] = [];
  for (let y = 0; y < this.height; y++) grid.push(new Array<StyledChar>(this.width).fill(BLANK));
  const clips: Clip[] = [];
  for (const op of this.operations) {
    if (op.type === 'clip') clips.push(op.clip);
    else if (op.type === 'unclip') clips.pop();
    else if (op.text) paint(this, grid, op, clips.at(-1));
  }
  if (remembered.length > grid.length) remembered = remembered.slice(0, grid.length);
  const rows = grid.map((cells, y) => cachedRowText(y, cells));
  return { output: rows.join('\n'), height: grid.length };
}

/* ---- installing it in Ink ---- */

const isClip = (c: unknown): boolean =>
  typeof c === 'object' &&
  c !== null &&
  Object.entries(c).every(
    ([k, v]) => ['x1', 'x2', 'y1', 'y2'].includes(k) && (v === undefined || typeof v === 'number'),
  );

/** Whether outputGridText knows every operation of a frame: writes, clips and unclips as Ink 6.8 records them. */
export function knownOperations(ops: readonly unknown[]): boolean {
  for (const op of ops as readonly Partial<Record<string, unknown>>[]) {
    if (typeof op !== 'object' || op === null) return false;
    if (op.type === 'unclip') continue;
    if (op.type === 'clip' && isClip(op.clip)) continue;
    const write =
      op.type === 'write' &&
      Number.isInteger(op.x) &&
      Number.isInteger(op.y) &&
      typeof op.text === 'string' &&
      Array.isArray(op.transformers) &&
      op.transformers.every((t) => typeof t === 'function');
    if (!write) return false;
  }
  return true;
}

type Get = (this: InkOutput) => { output: string; height: number };

/** Ink's get() with the grid in front: a frame with any operation the grid does not know goes to Ink's own. */
export function gridWithFallback(inks: Get): Get {
  return function (this: InkOutput) {
    return knownOperations(this.operations) ? outputGridText.call(this) : inks.call(this);
  };
}

let installed: Promise<boolean> | null = null;

/** Make Ink draw frames with outputGridText; resolves to whether it is in place. */
export function installInkOutputGrid(): Promise<boolean> {
  installed ??= inkOutputClass().then(
    (Output) => {
      if (!Output) return false;
      Output.prototype.get = gridWithFallback(Output.prototype.get as Get);
      return true;
    },
    () => false,
  );
  return installed;
}
