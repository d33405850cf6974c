/*
 * The READMEs' console examples are produced by nestvm itself: every ```console block is a list of
 * `$ nestvm …` commands (words split as a shell splits them, "quoted" runs kept whole), each
 * followed by what it prints (stdout and stderr, in the order written).
 * A line `...` stands for any number of lines. A command shown with no output (the live view) is
 * not run here: the TUI's own tests cover it. Nothing else may differ, so an example cannot go
 * stale: change the behaviour, and this test says which README line to update.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../cli/main.js';
import { PACKAGE_ROOT } from '../emulator/package-root.js';

interface Example {
  file: string;
  line: number;
  argv: string[];
  expected: string[];
}

/** A command line's words as a shell splits them: at spaces, a "double-quoted run" one word. */
export function shellWords(line: string): string[] {
  return (line.trim().match(/"[^"]*"|\S+/g) ?? []).map((w) => (w.startsWith('"') ? w.slice(1, -1) : w));
}

/** Every `$ nestvm` command of a Markdown file's console blocks, with the lines it shows. */
export function consoleExamples(file: string): Example[] {
  const lines = readFileSync(join(PACKAGE_ROOT, file), 'utf8').split('\n');
  const out: Example[] = [];
  let inBlock = false;
  lines.forEach((text, i) => {
    if (/^```console\s*$/.test(text)) inBlock = true;
    else if (inBlock && /^```\s*$/.test(text)) inBlock = false;
    else if (inBlock && text.startsWith('$ nestvm '))
      out.push({ file, line: i + 1, argv: shellWords(text.slice('$ nestvm '.length)), expected: [] });
    else if (inBlock && out.length > 0 && !text.startsWith('$ ')) out[out.length - 1].expected.push(text);
  });
  return out;
}

/** Whether `actual` matches `expected`, where a `...` line stands for any run of lines. */
export function matchesWithElision(actual: string[], expected: string[]): boolean {
  const go = (a: number, e: number): boolean => {
    if (e === expected.length) return a === actual.length;
    if (expected[e].trim() === '...') {
      for (let k = a; k <= actual.length; k++) if (go(k, e + 1)) return true;
      return false;
    }
    return a < actual.length && actual[a] === expected[e] && go(a + 1, e + 1);
  };
  return go(0, 0);
}

async function run(argv: string[]): Promise<string[]> {
  let text = '';
  const w = { write: (t: string) => (text += t) };
  await main(argv, { stdout: w, stderr: w });
  return text.replace(/\n$/, '').split('\n');
}

describe('shellWords', () => {
  it('splits at spaces and keeps a double-quoted run as one word', () => {
    expect(shellWords(' run a  --vm "b --mem 2M" c')).toEqual(['run', 'a', '--vm', 'b --mem 2M', 'c']);
  });
});

describe('matchesWithElision', () => {
  it('matches exactly, or across a ... line, and nothing else', () => {
    expect(matchesWithElision(['a', 'b'], ['a', 'b'])).toBe(true);
    expect(matchesWithElision(['a', 'x', 'y', 'b'], ['a', '...', 'b'])).toBe(true);
    expect(matchesWithElision(['a', 'b'], ['a', '...', 'b'])).toBe(true);
    expect(matchesWithElision(['a', 'c'], ['a', 'b'])).toBe(false);
    expect(matchesWithElision(['a', 'b', 'c'], ['a', 'b'])).toBe(false);
  });
});

const previous = process.cwd();
/* guests/README.md is checked as soon as it shows a console example. */
const FILES = ['README.md', 'guests/README.md'].filter(
  (f) => f === 'README.md' || consoleExamples(f).length > 0,
);
describe.each(FILES)('%s', (file) => {
  const examples = consoleExamples(file).filter((x) => x.expected.some((l) => l.trim() !== ''));
  if (file === 'README.md')
    it('has console examples', () => expect(consoleExamples(file).length).toBeGreaterThan(0));
  it.each(examples.map((x) => [`line ${x.line}: nestvm ${x.argv.join(' ')}`, x] as const))(
    '%s',
    async (_, x) => {
      process.chdir(PACKAGE_ROOT);
      try {
        const actual = await run(x.argv);
        const expected = x.expected.filter((l, i, all) => i < all.length - 1 || l.trim() !== '');
        if (!matchesWithElision(actual, expected))
          expect(actual.join('\n'), `${x.file}:${x.line} is out of date`).toBe(expected.join('\n'));
      } finally {
        process.chdir(previous);
      }
    },
    60_000,
  );
});
