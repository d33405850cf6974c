import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluate, literal } from '../../../emulator/asm/const-expr.js';

const known = (table: Record<string, bigint>) => (name: string) => table[name];
const value = (text: string, table: Record<string, bigint> = {}): bigint | string => {
  const r = evaluate(text, known(table));
  return r.kind === 'value' ? r.value : r.kind === 'bad' ? `bad: ${r.reason}` : 'foreign';
};

describe('constant expressions', () => {
  it('reads decimal, hex and binary literals and names', () => {
    expect(value('42')).toBe(42n);
    expect(value('0x2A')).toBe(42n);
    expect(value('0b101010')).toBe(42n);
    expect(value('0x200000 + PS', { PS: 0x80n })).toBe(0x200080n);
  });

  it('uses C precedence for arithmetic and shifts', () => {
    expect(value('1 + 2 * 3')).toBe(7n);
    expect(value('1 + 2 << 3')).toBe(24n);
    expect(value('1 << 2 * 3')).toBe(64n);
    expect(value('(1 + 2) * 3 - -1')).toBe(10n);
    expect(value('~0 & 0xff')).toBe(0xffn);
    expect(value('7 / 2 + 7 % 4')).toBe(6n);
  });

  it('refuses mixed bitwise operators without parentheses, and accepts them with', () => {
    expect(value('6 ^ 3 & 1')).toMatch(/^bad: '\^' and '&' mixed/);
    expect(value('8 | (6 & 3)')).toBe(10n);
    expect(value('1 | 2 | 4')).toBe(7n);
  });

  it('reports wrong expressions as bad and unknown ones as foreign', () => {
    expect(value('1 / 0')).toBe('bad: division by zero');
    expect(value('1 << 64')).toMatch(/^bad: shift by 64/);
    expect(value('0xffffffffffffffff + 1')).toBe('bad: value does not fit in 64 bits');
    expect(value('rax + 8')).toBe('foreign');
    expect(value('msg - start')).toBe('foreign');
    expect(value('(1 + 2')).toBe('foreign');
    expect(value('')).toBe('foreign');
    expect(value('10h')).toBe('foreign');
  });

  it('writes literals Keystone reads back exactly', () => {
    expect(literal(0n)).toBe('0x0');
    expect(literal(4224n)).toBe('0x1080');
    expect(literal(-8n)).toBe('-8');
  });

  it('agrees with BigInt arithmetic on fully parenthesised trees (property)', () => {
    type Tree = { v: bigint; text: string };
    const leaf = fc.bigInt({ min: 0n, max: 0xffffn }).map((v): Tree => ({ v, text: `0x${v.toString(16)}` }));
    const tree = fc.letrec<{ t: Tree }>((tie) => ({
      t: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        leaf,
        fc
          .tuple(tie('t'), fc.constantFrom('+', '-', '*', '&', '|', '^'), tie('t'))
          .map(([a, op, b]): Tree => {
            const v = {
              '+': a.v + b.v,
              '-': a.v - b.v,
              '*': a.v * b.v,
              '&': a.v & b.v,
              '|': a.v | b.v,
              '^': a.v ^ b.v,
            }[op]!;
            return { v, text: `(${a.text} ${op} ${b.text})` };
          }),
        tie('t').map((a): Tree => ({ v: -a.v, text: `-${a.text}` })),
      ),
    })).t;
    fc.assert(
      fc.property(tree, (t) => {
        const r = evaluate(t.text, () => undefined);
        if (t.v < -(1n << 63n) || t.v >= 1n << 64n) return; // intermediate range refusals are tested above
        if (r.kind === 'value') expect(r.value).toBe(t.v);
        else expect(r.kind).toBe('bad');
      }),
      { numRuns: 300 },
    );
  });
});
