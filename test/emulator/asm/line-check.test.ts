import { describe, expect, it } from 'vitest';
import { checkLine } from '../../../emulator/asm/line-check.js';

describe('lines refused before Keystone sees them', () => {
  it('refuses the lines Keystone hangs on', () => {
    for (const arch of ['x86_64', 'arm64'] as const) {
      expect(checkLine(arch, ':')).toBe('a label needs a name before its colon');
      expect(checkLine(arch, ':::')).toBe('a label needs a name before its colon');
      expect(checkLine(arch, '  a::')).toBe('a label needs a name before its colon');
      expect(checkLine(arch, 'a: : nop')).toBe('a label needs a name before its colon');
      expect(checkLine(arch, '.ascii "abc')).toBe('unterminated string literal (a closing quote is missing)');
      expect(checkLine(arch, '/')).toBe(
        "a statement starts with a mnemonic, a directive or a label, not '/'",
      );
      expect(checkLine(arch, '= 3')).toBe(
        "a statement starts with a mnemonic, a directive or a label, not '='",
      );
    }
    expect(checkLine('arm64', 'nop ; :')).toBe('a label needs a name before its colon');
  });

  it('refuses unbalanced brackets and the number forms the README does not have', () => {
    expect(checkLine('x86_64', 'mov eax, [rsi + 8')).toBe("unclosed '['");
    expect(checkLine('x86_64', 'mov eax, rsi + 8]')).toBe("unmatched ']'");
    expect(checkLine('x86_64', 'mov eax, (1 + 2')).toBe("unclosed '('");
    expect(checkLine('x86_64', 'mov eax, 10h')).toBe("'10h': numbers take no h suffix; write 0x10");
    expect(checkLine('x86_64', 'mov eax, 0FFh')).toBe("'0FFh': numbers take no h suffix; write 0xff");
    expect(checkLine('x86_64', 'mov eax, 010')).toMatch(
      /^'010': a number with a leading 0 would be read as octal/,
    );
  });

  it('accepts ordinary lines, and judges nothing inside quotes', () => {
    for (const line of [
      '',
      'a: b: nop',
      'mov eax, [rsi + 8]',
      '.ascii "a:b [ 10h"',
      "mov al, ':'",
      'x = 0x10',
      '.equ Q, 0',
    ]) {
      expect(checkLine('x86_64', line)).toBeNull();
    }
    for (const line of [
      'mov x0, #0',
      'ld1 {v0.8h}, [x0]',
      'ldr x0, [x1, #8]!',
      'add x1, x1, :lo12:msg',
      'nop; nop',
    ]) {
      expect(checkLine('arm64', line)).toBeNull();
    }
  });
});
