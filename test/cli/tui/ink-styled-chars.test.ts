// The quick styled-cell split against ansi-tokenize's own: every accepted character alone, random
// lines of accepted characters and SGR codes (compound, 256-colour, true-colour, resets), and the
// lines it must leave to the library.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { styledCharsFromTokens, tokenize } from '@alcalzone/ansi-tokenize';
import { QUICK_RANGES, styledCharsQuick } from '../../../cli/tui/ink-styled-chars.js';
import { CSI, SGR_CODES } from './sgr-codes.js';

const library = (line: string) => styledCharsFromTokens(tokenize(line));

const accepted: string[] = QUICK_RANGES.flatMap(([lo, hi]) =>
  Array.from({ length: hi - lo + 1 }, (_, k) => String.fromCharCode(lo + k)),
);

const sgr = fc.constantFrom(...SGR_CODES);

describe('styledCharsQuick', () => {
  it('takes every accepted character as the library does: one narrow cell', () => {
    for (const ch of accepted) {
      expect(library(ch), `U+${ch.charCodeAt(0).toString(16)}`).toHaveLength(1);
      expect(styledCharsQuick(ch)).toEqual(library(ch));
      expect(styledCharsQuick(`${CSI}36m${ch}${ch}${CSI}39m`)).toEqual(
        library(`${CSI}36m${ch}${ch}${CSI}39m`),
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
      `${CSI}31mx${CSI}`, // an unfinished escape
      `${CSI}2Jclear`, // not SGR
      '\u001B]8;;https://example.org\u0007link\u001B]8;;\u0007',
      'tab\there',
      '\u009B31mC1 CSI',
    ]) {
      expect(styledCharsQuick(line), JSON.stringify(line)).toBeNull();
    }
    expect(styledCharsQuick('')).toEqual([]);
  });
});
