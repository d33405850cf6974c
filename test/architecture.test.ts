/*
 * ARCHITECTURE.md stays true. Two checks:
 *
 *   paths    every repository path the page names (in backticks, or in its diagrams) exists, and a
 *            path written with a trailing slash is a folder;
 *   layers   the import rules of its §2 hold in the import graph of the source and of test/mmu/.
 *            Imports are read with TypeScript's own pre-processor, so a comment or a string is
 *            never taken for an import, and `export ... from` and dynamic import() count.
 *
 * Both checkers are also run on a made-up violation, so a checker that silently finds nothing
 * fails here instead of passing forever.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DOC = 'ARCHITECTURE.md';

/* ---- paths named by the page ---- */

const PATH_LIKE = /^[A-Za-z0-9_.@-]+(\/[A-Za-z0-9_.@-]+)*\/?$/;
const FILE_EXT = /\.(ts|tsx|md|json|js|cjs|mjs|sh|s)$/;
/* In a fenced diagram, only what starts at a top-level folder and ends in a file extension. */
const DIAGRAM_PATH =
  /\b(?:mmu|emulator|cli|labs|test|bench|guests|scripts)\/[A-Za-z0-9_./-]*\.(?:ts|tsx|md|json|s)\b/g;

/** The repository paths a Markdown text names. */
function pathsIn(markdown: string): string[] {
  const out = new Set<string>();
  const fences = /^```[^\n]*\n([\s\S]*?)^```/gm;
  for (const m of markdown.matchAll(fences)) for (const p of m[1].matchAll(DIAGRAM_PATH)) out.add(p[0]);
  const prose = markdown.replace(fences, '');
  for (const m of prose.matchAll(/`([^`\n]+)`/g)) {
    const s = m[1];
    if (PATH_LIKE.test(s) && (s.includes('/') || FILE_EXT.test(s))) out.add(s);
  }
  return [...out];
}

function missing(paths: readonly string[]): string[] {
  return paths.filter((p) => {
    const full = path.join(ROOT, p);
    if (!fs.existsSync(full)) return true;
    return p.endsWith('/') && !fs.statSync(full).isDirectory();
  });
}

describe(`${DOC}: every path it names exists`, () => {
  it('the path finder sees backticked paths and diagram paths, and skips code that is not a path', () => {
    const found = pathsIn(
      [
        'See `mmu/gpt/gpt.ts`, `mmu/host/`, `index.ts`, `NestedVm.writeRam`, `npm run test:mmu`.',
        '```',
        'Machine.fill        emulator/machine.ts',
        '```',
      ].join('\n'),
    );
    expect(found.sort()).toEqual(['emulator/machine.ts', 'index.ts', 'mmu/gpt/gpt.ts', 'mmu/host/']);
    expect(missing(['mmu/no-such-file.ts', 'mmu/addr.ts/', 'mmu/addr.ts'])).toEqual([
      'mmu/no-such-file.ts',
      'mmu/addr.ts/',
    ]);
  });

  it(`every path in ${DOC} exists`, () => {
    const paths = pathsIn(fs.readFileSync(path.join(ROOT, DOC), 'utf8'));
    expect(paths.length).toBeGreaterThan(80);
    expect(missing(paths)).toEqual([]);
  });

  it('the README points to it', () => {
    expect(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')).toContain(`(${DOC})`);
  });
});

/* ---- the import graph ---- */

interface Import {
  readonly from: string; // repository path of the importing file
  readonly spec: string; // the module specifier as written
  readonly to: string | null; // repository path it resolves to (null: a package or node: module)
}

function sourceFiles(dir: string): string[] {
  const full = path.join(ROOT, dir);
  if (!fs.statSync(full).isDirectory()) return [dir];
  return fs
    .readdirSync(full, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.tsx?$/.test(f) && !f.endsWith('.d.ts'))
    .map((f) => path.posix.join(dir, f.split(path.sep).join('/')))
    .sort();
}

/** The imports of one file's text, as the TypeScript pre-processor finds them. */
function importsOf(file: string, text: string): Import[] {
  return ts.preProcessFile(text, true, true).importedFiles.map(({ fileName: spec }) => ({
    from: file,
    spec,
    to: spec.startsWith('.') ? path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)) : null,
  }));
}

function importsUnder(...dirs: string[]): Import[] {
  return dirs.flatMap(sourceFiles).flatMap((f) => importsOf(f, fs.readFileSync(path.join(ROOT, f), 'utf8')));
}

/** The layer of a repository path: 'mmu' (its top-level files), 'mmu/host', ..., 'emulator', 'cli'. */
function layerOf(p: string): string {
  const parts = p.split('/');
  if (parts[0] === 'mmu') return parts.length > 2 ? `mmu/${parts[1]}` : 'mmu';
  if (parts[0] === 'test' && parts[1] === 'mmu') return 'test/mmu';
  return parts[0];
}

/* ARCHITECTURE.md §2: what each layer may import (relative imports; packages are checked apart). */
const MAY_IMPORT: Record<string, readonly string[]> = {
  mmu: ['mmu'],
  'mmu/host': ['mmu', 'mmu/host'],
  'mmu/gpt': ['mmu', 'mmu/host', 'mmu/gpt'],
  'mmu/vm': ['mmu', 'mmu/host', 'mmu/gpt', 'mmu/vm'],
  'mmu/guest-walk': ['mmu', 'mmu/host', 'mmu/gpt', 'mmu/vm', 'mmu/guest-walk'],
  emulator: ['mmu', 'mmu/host', 'mmu/gpt', 'mmu/vm', 'mmu/guest-walk', 'emulator'],
  'test/mmu': ['mmu', 'mmu/host', 'mmu/gpt', 'mmu/vm', 'mmu/guest-walk', 'test/mmu'],
  labs: ['labs', 'index.js'], // index.ts, the library API, imported as index.js
};
const UI_PACKAGES = /^(ink|react|yargs|ink-testing-library|@alcalzone\/ansi-tokenize|slice-ansi)(\/|$)/;
const MMU_TEST_PACKAGES = /^(node:|vitest$|fast-check$)/;

/** Imports that break the rules of ARCHITECTURE.md §2, one line each. */
function layerViolations(imports: readonly Import[]): string[] {
  const out: string[] = [];
  for (const i of imports) {
    const from = layerOf(i.from);
    const allowed = MAY_IMPORT[from];
    if (allowed === undefined) continue; // cli/, index.ts and the other tests may import anything
    const bad =
      i.to !== null
        ? !allowed.includes(layerOf(i.to))
        : from.startsWith('mmu')
          ? true // mmu/ is pure TypeScript: no package, not even node:
          : from === 'test/mmu'
            ? !MMU_TEST_PACKAGES.test(i.spec)
            : from === 'labs'
              ? !i.spec.startsWith('node:')
              : UI_PACKAGES.test(i.spec) || (i.spec === 'koffi' && !i.from.startsWith('emulator/unicorn/'));
    if (bad) out.push(`${i.from} imports '${i.spec}'`);
  }
  return out;
}

describe(`${DOC} §2: the layer rules hold`, () => {
  it('the checker catches each kind of violation', () => {
    const fake = (file: string, spec: string) => importsOf(file, `import x from '${spec}';`);
    expect(
      layerViolations([
        ...fake('mmu/gpt/x.ts', '../../emulator/machine.js'),
        ...fake('mmu/host/x.ts', '../vm/vmspace.js'),
        ...fake('mmu/vm/x.ts', '../guest-walk/index.js'),
        ...fake('mmu/addr2.ts', 'node:fs'),
        ...fake('emulator/x.ts', '../cli/main.js'),
        ...fake('emulator/x.ts', 'ink'),
        ...fake('emulator/devices/x.ts', 'koffi'),
        ...fake('test/mmu/gpt/x.test.ts', '../../../emulator/unicorn/unicorn.js'),
        ...fake('labs/x/lab.ts', '../../cli/errors.js'),
        ...fake('labs/x/lab.ts', '../../emulator/machine.js'),
        ...fake('labs/x/lab.ts', 'yargs'),
        // allowed ones
        ...fake('labs/x/lab.ts', '../../index.js'),
        ...fake('labs/x/lab.ts', '../framework/lab-api.js'),
        ...fake('labs/x/lab.ts', 'node:fs'),
        ...fake('mmu/vm/x.ts', '../gpt/gpt.js'),
        ...fake('mmu/guest-walk/x.ts', '../gpt/gpt-walk.js'),
        ...fake('emulator/unicorn/x.ts', 'koffi'),
        ...fake('cli/x.ts', '../emulator/machine.js'),
        ...fake('test/mmu/gpt/x.test.ts', 'vitest'),
      ]),
    ).toEqual([
      "mmu/gpt/x.ts imports '../../emulator/machine.js'",
      "mmu/host/x.ts imports '../vm/vmspace.js'",
      "mmu/vm/x.ts imports '../guest-walk/index.js'",
      "mmu/addr2.ts imports 'node:fs'",
      "emulator/x.ts imports '../cli/main.js'",
      "emulator/x.ts imports 'ink'",
      "emulator/devices/x.ts imports 'koffi'",
      "test/mmu/gpt/x.test.ts imports '../../../emulator/unicorn/unicorn.js'",
      "labs/x/lab.ts imports '../../cli/errors.js'",
      "labs/x/lab.ts imports '../../emulator/machine.js'",
      "labs/x/lab.ts imports 'yargs'",
    ]);
  });

  it('mmu/ imports only mmu/ (each folder only the ones below it) and no package', () => {
    const imports = importsUnder('mmu');
    expect(imports.length).toBeGreaterThan(200);
    expect(imports.some((i) => i.from === 'mmu/vm/vmspace.ts' && i.to === 'mmu/gpt/gpt.js')).toBe(true);
    expect(layerViolations(imports)).toEqual([]);
  });

  it('emulator/ never imports cli/ or a UI package, and only emulator/unicorn/ loads koffi', () => {
    const imports = importsUnder('emulator');
    expect(imports.some((i) => i.spec === 'koffi')).toBe(true);
    expect(layerViolations(imports)).toEqual([]);
  });

  it('labs/ imports only labs/, the library API (index.ts) and node: modules', () => {
    const imports = importsUnder('labs');
    expect(imports.some((i) => i.to === 'index.js')).toBe(true);
    expect(layerViolations(imports)).toEqual([]);
  });

  it('test/mmu/ needs no native engine: it imports only mmu/, its own helpers, vitest and fast-check', () => {
    const imports = importsUnder('test/mmu');
    expect(imports.length).toBeGreaterThan(50);
    expect(layerViolations(imports)).toEqual([]);
  });
});
