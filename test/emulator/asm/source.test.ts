import { describe, expect, it } from 'vitest';
import { archHeader, commentStart, parseArchName, prepare } from '../../../emulator/asm/source.js';

describe('asm source rules', () => {
  it('finds the arch header in any comment style', () => {
    expect(archHeader('; arch: x86_64\nnop')).toEqual({ arch: 'x86_64', name: 'x86_64', line: 1 });
    expect(archHeader('\n// arch: aarch64\nnop')).toEqual({ arch: 'arm64', name: 'aarch64', line: 2 });
    expect(archHeader('# arch: mips')).toEqual({ arch: null, name: 'mips', line: 1 });
    expect(archHeader('nop ; arch: arm64')).toBeNull();
  });

  it('parses arch names', () => {
    expect(parseArchName('X86-64')).toBe('x86_64');
    expect(parseArchName('amd64')).toBe('x86_64');
    expect(parseArchName('arm64')).toBe('arm64');
    expect(parseArchName('riscv64')).toBeNull();
  });

  it('places comments per architecture, skipping quotes', () => {
    expect(commentStart('x86_64', 'nop ; c')).toBe(4);
    expect(commentStart('x86_64', 'nop # c')).toBe(4);
    expect(commentStart('arm64', 'mov x0, #1 // c')).toBe(11);
    expect(commentStart('arm64', 'nop; nop')).toBe(8);
    expect(commentStart('x86_64', `.ascii "a;b" ; c`)).toBe(13);
    expect(commentStart('x86_64', `mov al, ';'`)).toBe(11);
    expect(commentStart('x86_64', `.ascii "q\\";" # c`)).toBe(14);
  });

  it('keeps one line per source line, collects labels, drops the header', () => {
    const p = prepare('x86_64', '; arch: x86_64\na: b: nop ; x\n\n.text');
    expect(p.lines).toEqual(['', 'a: b: nop', '', '.text']);
    expect(p.labels).toEqual([[], ['a', 'b'], [], []]);
    expect(p.refused.map((r) => r.index)).toEqual([3]);
  });
});
