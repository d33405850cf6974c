/*
 * The README's trace table names every event type the code can emit: the `type` members of the
 * event unions (mmu/events.ts, emulator/events.ts) are read from the source, and each must stand
 * in the table's first column (`name`). A new event type without a line there fails here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../emulator/package-root.js';

const read = (f: string) => readFileSync(join(PACKAGE_ROOT, f), 'utf8');

function eventTypes(): string[] {
  const src = read('mmu/events.ts') + read('emulator/events.ts');
  return [...new Set([...src.matchAll(/type: '([a-z0-9-]+)'/g)].map((m) => m[1]))];
}

function documented(): Set<string> {
  const readme = read('README.md');
  const from = readme.indexOf('**Trace** (`--trace FILE`)');
  const rows = readme
    .slice(from)
    .split('\n')
    .filter((l) => l.startsWith('| `'));
  return new Set(rows.flatMap((r) => [...r.split('|')[1].matchAll(/`([a-z0-9-]+)`/g)].map((m) => m[1])));
}

describe('README trace table', () => {
  it('documents every event type', () => {
    const types = eventTypes();
    expect(types).toContain('vm-map');
    expect(types.length).toBeGreaterThan(25);
    const doc = documented();
    expect(types.filter((t) => !doc.has(t))).toEqual([]);
  });
});
