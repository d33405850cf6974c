/*
 * The house size limits hold in the product code (emulator/, mmu/, cli/, labs/):
 *
 *   files      no source file runs over 450 lines;
 *   functions  no function, method, arrow or component body runs over 60 lines.
 *
 * Lengths are read with TypeScript's own parser, from the first line of a function's declaration
 * to the line of its closing brace, so a long string or comment is never taken for a function.
 * The checker is also run on a made-up file, so a checker that silently finds nothing fails here.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MAX_FILE_LINES = 450;
const MAX_FUNCTION_LINES = 60;
const PRODUCT_DIRS = ['emulator', 'mmu', 'cli', 'labs'];

function productFiles(): string[] {
  return PRODUCT_DIRS.flatMap((dir) =>
    fs
      .readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })
      .filter((f) => /\.tsx?$/.test(f) && !f.endsWith('.d.ts'))
      .map((f) => path.posix.join(dir, f.split(path.sep).join('/'))),
  ).sort();
}

function nameOf(node: ts.Node, sf: ts.SourceFile): string {
  const named = node as { name?: ts.Node };
  if (named.name !== undefined) return named.name.getText(sf);
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  const parent = node.parent;
  if (parent !== undefined && ts.isVariableDeclaration(parent)) return parent.name.getText(sf);
  return ts.SyntaxKind[node.kind];
}

/** One line per limit the text breaks: "file: N lines" or "file:LINE name: N lines". */
export function limitBreaches(file: string, text: string): string[] {
  const out: string[] = [];
  const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  if (lines > MAX_FILE_LINES) out.push(`${file}: ${lines} lines (limit ${MAX_FILE_LINES})`);
  const kind = file.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
  const lineOf = (pos: number) => sf.getLineAndCharacterOfPosition(pos).line + 1;
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && (node as { body?: ts.Node }).body !== undefined) {
      const first = lineOf(node.getStart(sf));
      const length = lineOf(node.end) - first + 1;
      if (length > MAX_FUNCTION_LINES) {
        out.push(`${file}:${first} ${nameOf(node, sf)}: ${length} lines (limit ${MAX_FUNCTION_LINES})`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

describe('house size limits', () => {
  it('the checker finds a long file, a long method and a long arrow, and passes short ones', () => {
    const body = (n: number) => Array.from({ length: n }, (_, i) => `  const v${i} = ${i};`).join('\n');
    const text = [
      'class A {',
      `  long(): void {\n${body(60)}\n  }`,
      `  short(): void {\n${body(3)}\n  }`,
      '}',
      `const arrow = () => {\n${body(59)}\n};`,
      `const fits = () => {\n${body(58)}\n};`,
      'const filler = 0;\n'.repeat(300),
    ].join('\n');
    const found = limitBreaches('cli/x.ts', text);
    expect(found[0]).toMatch(/^cli\/x\.ts: \d+ lines \(limit 450\)$/);
    expect(found.slice(1)).toEqual([
      'cli/x.ts:2 long: 62 lines (limit 60)',
      'cli/x.ts:70 arrow: 61 lines (limit 60)',
    ]);
  });

  it('no product file runs over 450 lines and no function over 60', () => {
    const files = productFiles();
    expect(files.length).toBeGreaterThan(120);
    const breaches = files.flatMap((f) => limitBreaches(f, fs.readFileSync(path.join(ROOT, f), 'utf8')));
    expect(breaches).toEqual([]);
  });
});
