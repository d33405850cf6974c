// Ink's styled-line cache: the two-generation cache against a counting stand-in for Ink's own
// tokenizer (same values, bounded memory), and the real install on the Ink this repository uses.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { render } from 'ink-testing-library';
import { Box, Text } from 'ink';
import {
  cachedLookup,
  inkOutputCacheStats,
  installInkOutputCache,
  newCacheState,
} from '../../../cli/tui/ink-output-cache.js';

/* A stand-in for Ink's lookup: a fresh array per call, and a count of calls per line. */
function counting() {
  const calls = new Map<string, number>();
  const inner = (line: string): unknown[] => {
    calls.set(line, (calls.get(line) ?? 0) + 1);
    return [...line];
  };
  return { calls, inner };
}

describe('cachedLookup', () => {
  it('asks Ink once per line while the line stays in use, and returns Ink’s value', () => {
    const { calls, inner } = counting();
    const s = newCacheState();
    const get = cachedLookup(inner, s, 4);
    const first = get('abc');
    expect(first).toEqual(['a', 'b', 'c']);
    for (let i = 0; i < 10; i++) {
      expect(get('abc')).toBe(first);
      get(`other ${i % 2}`);
    }
    expect(calls.get('abc')).toBe(1);
    expect(calls.get('other 0')).toBe(1);
    expect(s.hits).toBe(10 + 8);
    expect(s.misses).toBe(3);
  });

  it('keeps at most two generations, and a line used in every frame survives', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 300 }), (seq) => {
        const { calls, inner } = counting();
        const s = newCacheState();
        const limit = 8;
        const get = cachedLookup(inner, s, limit);
        for (const n of seq) {
          expect(get('border')).toEqual([...'border']);
          expect(get(`line ${n}`)).toEqual([...`line ${n}`]);
          expect(s.young.size).toBeLessThanOrEqual(limit);
          expect(s.old.size).toBeLessThanOrEqual(limit);
        }
        expect(calls.get('border') ?? 0).toBeLessThanOrEqual(1);
        expect(s.hits + s.misses).toBe(2 * seq.length);
        expect(s.misses).toBe([...calls.values()].reduce((a, b) => a + b, 0));
      }),
    );
  });
});

describe('installInkOutputCache', () => {
  it('is in place on this Ink, and frames drawn again are served from it, unchanged', async () => {
    expect(await installInkOutputCache()).toBe(true);
    expect(await installInkOutputCache()).toBe(true);
    const tree = (n: number) => (
      <Box flexDirection="column" borderStyle="single" width={30}>
        <Text bold>unchanged title line</Text>
        <Text color="red">counter {n}</Text>
      </Box>
    );
    const r = render(tree(1));
    const before = inkOutputCacheStats();
    r.rerender(tree(2));
    const after = inkOutputCacheStats();
    expect(after.hits).toBeGreaterThan(before.hits);
    expect(after.misses).toBeGreaterThan(before.misses); // the counter line is new
    const frame = r.lastFrame() ?? '';
    expect(frame).toContain('unchanged title line');
    expect(frame).toContain('counter 2');
    expect(frame).not.toContain('counter 1');
    r.unmount();
  });
});
