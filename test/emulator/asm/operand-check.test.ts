import { describe, expect, it } from 'vitest';
import { LAYOUT, type Arch } from '../../../emulator/arch.js';
import { assemble, AsmError } from '../../../emulator/asm/assemble.js';
import { checkDecoded } from '../../../emulator/asm/operand-check.js';

async function outcome(arch: Arch, src: string): Promise<string> {
  try {
    const p = await assemble(arch, src, LAYOUT[arch].defaultLoad, { origin: 'f.s' });
    return Buffer.from(p.bytes).toString('hex');
  } catch (e) {
    if (e instanceof AsmError) return e.message;
    throw e;
  }
}

describe('x86-64 immediates keep their value', () => {
  it('refuses an immediate wider than its operand (Keystone alone truncates)', async () => {
    expect(await outcome('x86_64', 'nop\nmov al, 0x1000')).toBe(
      'f.s:2: immediate 0x1000 does not fit in 8 bits (the operand is al): mov al, 0x1000',
    );
    expect(await outcome('x86_64', 'mov ax, 0x10000')).toMatch(
      /^f.s:1: immediate 0x10000 does not fit in 16 bits/,
    );
    expect(await outcome('x86_64', 'mov eax, 0x1ffffffff')).toMatch(/does not fit in 32 bits/);
    expect(await outcome('x86_64', 'mov byte ptr [rax], 300')).toMatch(
      /does not fit in 8 bits \(the operand is byte ptr \[rax\]\)/,
    );
    expect(await outcome('x86_64', 'push 0xffffffff')).toMatch(/does not fit in the immediate of push/);
    expect(await outcome('x86_64', 'ret 0x10000')).toMatch(/does not fit in the immediate of ret/);
    expect(await outcome('x86_64', 'mov al, -129')).toMatch(/immediate -129 does not fit in 8 bits/);
  });

  it('accepts every value that does fit, signed or unsigned', async () => {
    expect(await outcome('x86_64', 'mov al, 255\nmov al, -128')).toBe('b0ffb080');
    expect(await outcome('x86_64', 'mov eax, 0xffffffff\nmov eax, -1')).toBe('b8ffffffffb8ffffffff');
    expect(await outcome('x86_64', 'and rax, 0xfffffffffffffff0')).toBe('4883e0f0');
    expect(await outcome('x86_64', 'mov rax, 0x1ffffffff')).toBe('48b8ffffffff01000000');
    expect(await outcome('x86_64', 'push -1')).toBe('6aff');
  });

  it('refuses an operand without brackets that Keystone turns into memory', async () => {
    expect(await outcome('x86_64', 'msg: nop\nmov eax, 0x200000 + msg')).toBe(
      "f.s:2: '0x200000 + msg' has no brackets but Keystone made it a memory operand (dword ptr [0x100000]); " +
        'write [0x200000 + msg] for memory, or use a constant: mov eax, 0x200000 + msg',
    );
    expect(await outcome('x86_64', 'msg: nop\nmov eax, msg + 8')).toBe('90b808001000'); // an immediate: fine
  });

  it('compares decoded operands with the source (level 2 on its own)', () => {
    expect(checkDecoded('al, 0', ['al', '0x1000'], [null, 0x1000n])).toMatch(/does not fit/);
    expect(checkDecoded('eax, 0xfffffff8', ['eax', '-8'], [null, -8n])).toBeNull();
    expect(checkDecoded('eax, 0x7fffffff', ['eax', '-0x80000001'], [null, -0x80000001n])).toMatch(
      /does not fit/,
    );
    expect(checkDecoded('eax, dword ptr [0x80]', ['eax', 'x + 1'], [null, null])).toMatch(/memory operand/);
    expect(checkDecoded('rax, 0xfffffffffffffff0', ['rax', '-16'], [null, -16n])).toBeNull();
  });
});
