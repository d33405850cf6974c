/*
 * Guest assembly source, line by line, before Keystone sees it.
 *
 * Keystone reports errors for a whole input and mishandles a few things (comments in some
 * positions, section directives), so nestvm owns the lexical rules (guests/README.md):
 *
 *   x86_64  comments start at ';', '#' or '//'
 *   arm64   comments start at '//'   ('#' is the immediate prefix, ';' separates statements)
 *   both    a comment marker inside "..." or '.' quotes is text; comments run to end of line
 *   both    `arch: <name>` in a comment line (`; arch: x86_64`, `// arch: arm64`) names the
 *           architecture; that line is never passed to the assembler
 *   both    section directives (.text .data .bss .section ...) are refused: the image is one
 *           flat blob placed at the base address, in source order
 *   both    lines Keystone would hang on or misread (line-check.ts) are refused
 *
 * Invariant: `prepare` returns exactly one output line per input line (blank where a comment
 * or header was), so an index into `lines` is the source line number minus one.
 */
import type { Arch } from '../arch.js';
import { checkLine } from './line-check.js';

export interface PreparedSource {
  /** Code text of each source line with comments removed (same count as the input lines). */
  readonly lines: readonly string[];
  /** Labels defined on each line (`name:` at the start of a statement). */
  readonly labels: readonly (readonly string[])[];
  /** Lines whose text is refused outright, with the reason. */
  readonly refused: readonly { readonly index: number; readonly reason: string }[];
}

const ARCH_NAMES: Record<string, Arch> = {
  x86_64: 'x86_64',
  'x86-64': 'x86_64',
  amd64: 'x86_64',
  arm64: 'arm64',
  aarch64: 'arm64',
};

const HEADER = /^\s*(?:;|\/\/|#)\s*arch\s*:\s*([A-Za-z0-9_-]+)\s*$/;

/** Parse an architecture name as users write it ('x86-64', 'aarch64', ...); null if unknown. */
export function parseArchName(name: string): Arch | null {
  return ARCH_NAMES[name.toLowerCase()] ?? null;
}

/**
 * The architecture named by an `arch:` header comment, if any. Returns the 1-based line, so a
 * wrong name can be reported where it is.
 */
export function archHeader(source: string): { arch: Arch | null; name: string; line: number } | null {
  const lines = source.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const m = HEADER.exec(lines[i]);
    if (m) return { arch: parseArchName(m[1]), name: m[1], line: i + 1 };
  }
  return null;
}

/** Where a comment starts in `line` for `arch`, or line.length. Quotes are skipped over. */
export function commentStart(arch: Arch, line: string): number {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote !== null) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '/' && line[i + 1] === '/') return i;
    else if (arch === 'x86_64' && (c === ';' || c === '#')) return i;
  }
  return line.length;
}

const SECTION = /^\s*\.(section|text|data|bss|rodata|pushsection|popsection|previous)\b/i;
const LABEL = /^\s*([A-Za-z_.$][\w.$]*)\s*:(?!:)/;

/** Split a statement's leading labels off: "a: b: nop" -> [["a","b"], " nop"]. */
function leadingLabels(code: string): [string[], string] {
  const names: string[] = [];
  let rest = code;
  for (let m = LABEL.exec(rest); m !== null; m = LABEL.exec(rest)) {
    names.push(m[1]);
    rest = rest.slice(m[0].length);
  }
  return [names, rest];
}

export function prepare(arch: Arch, source: string): PreparedSource {
  const raw = source.split(/\r?\n/);
  const lines: string[] = [];
  const labels: string[][] = [];
  const refused: { index: number; reason: string }[] = [];
  raw.forEach((text, index) => {
    const code = HEADER.test(text) ? '' : text.slice(0, commentStart(arch, text)).trimEnd();
    const [names, rest] = leadingLabels(code);
    const why = SECTION.test(rest)
      ? 'sections are not supported (the image is one flat blob)'
      : checkLine(arch, code);
    if (why !== null) refused.push({ index, reason: why });
    lines.push(code);
    labels.push(names);
  });
  return { lines, labels, refused };
}
