/*
 * A line of terminal text as styled cells, the quick way, for the lines the live view draws.
 *
 * Ink splits every line it draws into one cell per character with the style in force there
 * (ansi-tokenize: tokenize, then styledCharsFromTokens). The tokenizer is general: it walks the
 * line grapheme by grapheme with Intl.Segmenter, so that emoji, combining marks and wide CJK
 * characters each land in the right cells. That generality is most of its cost, and the live view
 * does not need it: its lines are ASCII, box drawing, block elements, a few arrows and triangles,
 * and SGR colour codes. Each of those characters is one code unit, one grapheme and one column.
 *
 * styledCharsQuick(line) handles exactly such lines and returns null for anything else (then Ink's
 * own tokenizer runs):
 *
 *     "\x1b[36m╭─\x1b[39m ab"                               styles in force
 *      └─SGR──┘ ╭  ─ └SGR─┘ ␠ a b        SGR: [36m]  ──►   ╭ ─     [36m]
 *                                        SGR: [39m]  ──►   ␠ a b   []
 *
 * Escape sequences are handed to ansi-tokenize itself (tokenize splits compound codes and names
 * their end codes; reduceAnsiCodesIncremental keeps the style set reduced), so the style sets are
 * the library's own; only the per-character work is done here. Cells that share a style set share
 * one array (Ink only reads the styles; the row writer in ink-output-grid.ts then sees equal style
 * sets by identity).
 *
 * Invariant: for every line it accepts, the result equals styledCharsFromTokens(tokenize(line)),
 * cell for cell; the tests check this on random lines and check every accepted character alone.
 */
import { reduceAnsiCodesIncremental, tokenize } from '@alcalzone/ansi-tokenize';
import type { AnsiCode, StyledChar } from '@alcalzone/ansi-tokenize';

const ESC = 0x1b;
const LEFT_BRACKET = 0x5b;
const SEMICOLON = 0x3b;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const LETTER_M = 0x6d;

/**
 * Characters taken here: each is a single UTF-16 code unit, its own grapheme next to any other
 * accepted character, and one column wide (not East Asian Wide or Fullwidth).
 */
export const QUICK_RANGES: readonly (readonly [number, number])[] = [
  [0x20, 0x7e], // printable ASCII
  [0xa7, 0xa7], // §
  [0xb7, 0xb7], // ·
  [0x2022, 0x2022], // •
  [0x2026, 0x2026], // …
  [0x2190, 0x2199], // arrows ← ↑ → ↓ ↔ ↕ ↖ ↗ ↘ ↙
  [0x2500, 0x259f], // box drawing and block elements
  [0x25a0, 0x25a1], // ■ □
  [0x25b2, 0x25c4], // triangles ▲ ► ▼ ◄ and their kin
];

const quick = new Uint8Array(0x10000);
for (const [lo, hi] of QUICK_RANGES) quick.fill(1, lo, hi + 1);

/** The ansi tokens of one SGR sequence, as ansi-tokenize reads it (kept: a screen uses few). */
const sgrTokens = new Map<string, AnsiCode[]>();

function sgr(seq: string): AnsiCode[] | null {
  let codes = sgrTokens.get(seq);
  if (codes === undefined) {
    const tokens = tokenize(seq);
    if (!tokens.every((t) => t.type === 'ansi')) return null;
    codes = tokens as AnsiCode[];
    if (sgrTokens.size > 1024) sgrTokens.clear();
    sgrTokens.set(seq, codes);
  }
  return codes;
}

/** Index just past an SGR sequence starting at `i` (ESC [ digits and semicolons m), or -1. */
function sgrEnd(line: string, i: number): number {
  if (line.charCodeAt(i + 1) !== LEFT_BRACKET) return -1;
  for (let j = i + 2; j < line.length; j++) {
    const c = line.charCodeAt(j);
    if (c === LETTER_M) return j + 1;
    if (c !== SEMICOLON && (c < DIGIT_0 || c > DIGIT_9)) return -1;
  }
  return -1;
}

/** The line's styled cells, or null when the line has anything but accepted characters and SGR codes. */
export function styledCharsQuick(line: string): StyledChar[] | null {
  const out: StyledChar[] = [];
  let styles: AnsiCode[] = [];
  for (let i = 0; i < line.length;) {
    const c = line.charCodeAt(i);
    if (c === ESC) {
      const end = sgrEnd(line, i);
      if (end < 0) return null;
      const codes = sgr(line.slice(i, end));
      if (codes === null) return null;
      styles = reduceAnsiCodesIncremental(styles, codes);
      i = end;
      continue;
    }
    if (quick[c] !== 1) return null;
    out.push({ type: 'char', value: line[i]!, fullWidth: false, styles });
    i++;
  }
  return out;
}
