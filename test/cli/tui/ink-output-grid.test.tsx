// Ink's frame text, computed the cheap way: random frames of writes, clips and transformers are
// replayed through Ink's own Output.get() and through outputGridText(), which must agree text for
// text (frame after frame, so the row memo is exercised too); a frame with an operation the grid
// does not know goes to Ink's own get(); then the real install.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { render } from 'ink-testing-library';
import { Box, Text } from 'ink';
import { inkOutputClass } from '../../../cli/tui/ink-output-class.js';
import {
  gridWithFallback,
  installInkOutputGrid,
  knownOperations,
  outputGridText,
  rowText,
} from '../../../cli/tui/ink-output-grid.js';
import { CSI, SGR_CODES } from './sgr-codes.js';

const Output = (await inkOutputClass())!;
const inkGet = Output.prototype.get as unknown as (this: unknown) => { output: string; height: number };

/* Pieces of text: plain and wide characters, newlines, and SGR codes (sgr-codes.ts). */
const piece = fc.constantFrom('a', 'bc', ' ', '  ', '│', '─┐', '漢', '🙂', '\n', ...SGR_CODES);
const text = fc.array(piece, { minLength: 0, maxLength: 12 }).map((p) => p.join(''));

const TRANSFORMERS = [
  (s: string) => s.toUpperCase(),
  (s: string) => `${CSI}32m${s}${CSI}39m`,
  (s: string, i: number) => `${i}${s}`,
];

type Op =
  | { type: 'write'; x: number; y: number; text: string; t: number[] }
  | { type: 'clip'; clip: { x1?: number; x2?: number; y1?: number; y2?: number } }
  | { type: 'unclip' };

const coord = fc.integer({ min: -3, max: 24 });
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      type: fc.constant('write' as const),
      x: coord,
      y: coord,
      text,
      t: fc.subarray([0, 1, 2]),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('clip' as const),
      clip: fc.record({ x1: coord, x2: coord, y1: coord, y2: coord }, { requiredKeys: [] }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ type: 'unclip' as const }) },
);

function replay(width: number, height: number, ops: Op[]) {
  const out = new Output({ width, height }) as unknown as {
    write(x: number, y: number, text: string, o: { transformers: unknown[] }): void;
    clip(c: unknown): void;
    unclip(): void;
  };
  for (const o of ops) {
    if (o.type === 'write') out.write(o.x, o.y, o.text, { transformers: o.t.map((i) => TRANSFORMERS[i]) });
    else if (o.type === 'clip') out.clip(o.clip);
    else out.unclip();
  }
  return out;
}

describe('outputGridText', () => {
  it('gives Ink’s own text for any writes, clips and transformers, frame after frame', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.array(op, { maxLength: 14 }), { minLength: 1, maxLength: 4 }),
        (width, height, frames) => {
          for (const ops of frames) {
            const ink = inkGet.call(replay(width, height, ops));
            const ours = outputGridText.call(replay(width, height, ops) as never);
            expect(ours).toEqual(ink);
            // the same frame again: now every row comes from the memo
            expect(outputGridText.call(replay(width, height, ops) as never)).toEqual(ink);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('switches styles on and off only where neighbouring cells differ', () => {
    const red = [{ type: 'ansi' as const, code: `${CSI}31m`, endCode: `${CSI}39m` }];
    const cell = (value: string, styles = red) => ({
      type: 'char' as const,
      value,
      fullWidth: false,
      styles,
    });
    expect(rowText([cell('a'), cell('b'), cell(' ', []), cell(' ', [])])).toBe(`${CSI}31mab${CSI}39m`);
    expect(rowText([cell('a', []), undefined, cell('b')])).toBe(`a${CSI}31mb${CSI}39m`);
    expect(rowText([])).toBe('');
  });
});

describe('gridWithFallback', () => {
  const write = { type: 'write', x: 0, y: 0, text: 'ab', transformers: [] };
  it('knows the operations Ink 6.8 records, and nothing else', () => {
    expect(knownOperations([write, { type: 'clip', clip: { x1: 0, x2: 3 } }, { type: 'unclip' }])).toBe(true);
    expect(knownOperations([])).toBe(true);
    expect(knownOperations([write, { type: 'scroll', by: 1 }])).toBe(false);
    expect(knownOperations([{ ...write, x: 0.5 }])).toBe(false);
    expect(knownOperations([{ ...write, text: undefined }])).toBe(false);
    expect(knownOperations([{ ...write, transformers: [1] }])).toBe(false);
    expect(knownOperations([{ type: 'clip', clip: { x1: '0' } }])).toBe(false);
    expect(knownOperations([{ type: 'clip', clip: { z: 1 } }])).toBe(false);
    expect(knownOperations([null])).toBe(false);
  });

  it('draws known frames with the grid and hands any other to Ink', () => {
    const calls: string[] = [];
    const inks = function (this: unknown) {
      calls.push('ink');
      return { output: 'from ink', height: 1 };
    };
    const get = gridWithFallback(inks as never);
    const out = new Output({ width: 4, height: 1 }) as unknown as { operations: unknown[] };
    out.operations.push(write);
    expect(get.call(out as never)).toEqual({ output: 'ab', height: 1 });
    expect(calls).toEqual([]);
    out.operations.push({ type: 'future-op' });
    expect(get.call(out as never)).toEqual({ output: 'from ink', height: 1 });
    expect(calls).toEqual(['ink']);
  });
});

describe('installInkOutputGrid', () => {
  const Screen = () => (
    <Box
      borderStyle="round"
      borderColor="cyan"
      width={30}
      height={6}
      flexDirection="column"
      overflowY="hidden"
    >
      <Text color="green">green 漢字 and </Text>
      <Text bold dimColor>
        bold dim
      </Text>
      <Text inverse>{'inverse\nover lines\nthat overflow\nthe box\nand more'}</Text>
    </Box>
  );

  it('puts outputGridText in Ink and draws the same screen as Ink did', async () => {
    const before = render(<Screen />);
    const expected = before.lastFrame();
    before.unmount();
    expect(Output.prototype.get).toBe(inkGet);
    expect(await installInkOutputGrid()).toBe(true);
    expect(await installInkOutputGrid()).toBe(true);
    expect(Output.prototype.get).not.toBe(inkGet);
    const after = render(<Screen />);
    expect(after.lastFrame()).toBe(expected);
    expect(after.lastFrame()).toContain('over lines');
    after.unmount();
  });
});
