// The quick styled-cell split against ansi-tokenize's own: every accepted character alone, random
// lines of accepted characters and SGR codes (compound, 256-colour, true-colour, resets), and the
// lines it must leave to the library.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { styledCharsFromTokens, tokenize } from '@alcalzone/ansi-tokenize';
import { QUICK_RANGES, styledCharsQuick } from '../../../cli/tui/ink-styled-chars.js';

const library = (line: string) => styledCharsFromTokens(tokenize(line));

const accepted: string[] = QUICK_RANGES.flatMap(([lo, hi]) =>
  Array.from({ length: hi - lo + 1 }, (_, k) => String.fromCharCode(lo + k)),
);

const ESC = '\u001B[';
const sgr = fc.constantFrom(
  `${ESC}31m`,
  `${ESC}39m`,
  `${ESC}1m`,
  `${ESC}2m`,
  `${ESC}22m`,
  `${ESC}7m`,
  `${ESC}27m`,
  `${ESC}4m`,
  `${ESC}24m`,
  `${ESC}44m`,
  `${ESC}49m`,
  `${ESC}0m`,
  `${ESC}m`,
  `${ESC}1;31m`,
  `${ESC}38;5;208m`,
  `${ESC}48;2;10;20;30m`,
  `${ESC}38;2;1;2m`,
  `${ESC}90m`,
);

describe('styledCharsQuick', () => {
  it('takes every accepted character as the library does: one narrow cell', () => {
    for (const ch of accepted) {
      expect(library(ch), `U+${ch.charCodeAt(0).toString(16)}`).toHaveLength(1);
      expect(styledCharsQuick(ch)).toEqual(library(ch));
      expect(styledCharsQuick(`${ESC}36m${ch}${ch}${ESC}39m`)).toEqual(
        library(`${ESC}36m${ch}${ch}${ESC}39m`),
      );
    }
  });

  it('gives the library’s cells for random lines of accepted characters and SGR codes', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom(...accepted), sgr), { maxLength: 40 }), (parts) => {
        const line = parts.join('');
        expect(styledCharsQuick(line)).toEqual(library(line));
      }),
      { numRuns: 1000 },
    );
  });

  it('leaves everything else to the library', () => {
    for (const line of [
      'wide 漢',
      'emoji 🙂',
      'e\u0301 combining',
      `${ESC}31mx${ESC}`, // an unfinished escape
      `${ESC}2Jclear`, // not SGR
      '\u001B]8;;https://example.org\u0007link\u001B]8;;\u0007',
      'tab\there',
      '\u009B31mC1 CSI',
    ]) {
      expect(styledCharsQuick(line), JSON.stringify(line)).toBeNull();
    }
    expect(styledCharsQuick('')).toEqual([]);
  });
});
