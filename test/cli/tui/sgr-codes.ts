/*
 * SGR codes for the tests that compare our Ink fast paths with ansi-tokenize: codes that open and
 * close styles (colours of both kinds, bold and dim that share their end code, inverse,
 * underline), resets (with and without a parameter), a compound code, 256-colour and true-colour
 * codes, and a malformed true-colour code (too few parameters).
 */
export const CSI = '\u001B[';

export const SGR_CODES: readonly string[] = [
  '31m',
  '39m',
  '1m',
  '2m',
  '22m',
  '7m',
  '27m',
  '4m',
  '24m',
  '44m',
  '49m',
  '0m',
  'm',
  '1;31m',
  '38;5;208m',
  '48;2;10;20;30m',
  '38;2;1;2m',
  '90m',
].map((c) => CSI + c);
