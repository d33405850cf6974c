import { describe, expect, it } from 'vitest';
import { LAYOUT, type Arch } from '../../../emulator/arch.js';
import { assemble, AsmError } from '../../../emulator/asm/assemble.js';
import { resolveConstants } from '../../../emulator/asm/constants.js';

const bytesOf = async (arch: Arch, src: string): Promise<string> =>
  Buffer.from((await assemble(arch, src, LAYOUT[arch].defaultLoad)).bytes).toString('hex');

async function reason(arch: Arch, src: string): Promise<string> {
  try {
    await assemble(arch, src, LAYOUT[arch].defaultLoad, { origin: 'f.s' });
  } catch (e) {
    if (e instanceof AsmError) return e.message;
    throw e;
  }
  throw new Error('expected an assembly error');
}

// Each pair: the line with constants, and the same line with the numbers written out.
const X86: [string, string][] = [
  ['mov eax, 0x200000 + PS', 'mov eax, 0x200080'],
  ['add eax, 0x600000 + P_RW', 'add eax, 0x600003'],
  ['mov eax, P_RW + 0x200000', 'mov eax, 0x200003'],
  ['mov rax, (PS << 20) | P_RW', 'mov rax, 0x8000003'],
  ['mov ecx, -PS', 'mov ecx, -128'],
  ['mov dword ptr [rsi + PS], PS * 2', 'mov dword ptr [rsi + 128], 256'],
  ['mov eax, [rsi + PS - 8]', 'mov eax, [rsi + 120]'],
  ['lea rdi, [rsi + NEG]', 'lea rdi, [rsi - 8]'],
  ['imul eax, ebx, PS + 1', 'imul eax, ebx, 129'],
  ['shl eax, P_RW', 'shl eax, 3'],
  ['out PORT, al', 'out 0xe9, al'],
  ['push PS + 0x1000', 'push 0x1080'],
  ['.quad PS * 2, P_RW', '.quad 256, 3'],
  ['.byte P_RW, PS', '.byte 3, 128'],
  ['.fill P_RW, 1, PS', '.fill 3, 1, 128'],
];
const X86_DEFS = '.equ PS, 0x80\nP_RW = 3\n.set NEG, -8\n.equ PORT, 0xe9\n';

const ARM: [string, string][] = [
  ['mov x0, #(PS + 0x1000)', 'mov x0, #0x1080'],
  ['mov x0, PS + 0x1000', 'mov x0, #0x1080'],
  ['add x0, x1, #PS', 'add x0, x1, #128'],
  ['sub x0, x1, #(PS >> 4)', 'sub x0, x1, #8'],
  ['ldr x0, [x1, #PS]', 'ldr x0, [x1, #128]'],
  ['str w2, [x3, #(PS * 2)]', 'str w2, [x3, #256]'],
  ['movk w0, #(BIG >> 16), lsl #16', 'movk w0, #0x8400, lsl #16'],
  ['cmp x4, #P_RW', 'cmp x4, #3'],
  ['and x0, x0, #(PS - 1)', 'and x0, x0, #127'],
  ['mov x0, #PS ; add x1, x1, #P_RW', 'mov x0, #128 ; add x1, x1, #3'],
  ['ldr x0, =BIG + PS', 'ldr x0, =0x84000088'],
  ['.quad PS * 2, P_RW', '.quad 256, 3'],
];
const ARM_DEFS = '.equ PS, 0x80\nP_RW = 3\n.set BIG, 0x84000008\n';

describe('constant expressions in every operand position', () => {
  for (const [withConst, literal] of X86) {
    it(`x86_64: '${withConst}' assembles as '${literal}'`, async () => {
      expect(await bytesOf('x86_64', X86_DEFS + withConst)).toBe(await bytesOf('x86_64', literal));
    });
  }
  for (const [withConst, literal] of ARM) {
    it(`arm64: '${withConst}' assembles as '${literal}'`, async () => {
      expect(await bytesOf('arm64', ARM_DEFS + withConst)).toBe(await bytesOf('arm64', literal));
    });
  }

  it('uses a constant defined further down (a forward reference)', async () => {
    expect(await bytesOf('x86_64', 'mov eax, 1 + LATER\n.equ LATER, 4')).toBe(
      await bytesOf('x86_64', 'mov eax, 5'),
    );
  });

  it('follows .set redefinitions line by line', async () => {
    const src = '.set N, 1\nmov eax, N\n.set N, N + 1\nmov eax, N';
    expect(await bytesOf('x86_64', src)).toBe(await bytesOf('x86_64', 'mov eax, 1\nmov eax, 2'));
  });

  it('leaves strings and label-valued definitions alone', () => {
    const r = resolveConstants('x86_64', [
      '.equ PS, 8',
      '.ascii "PS"',
      '.equ LEN, end - start',
      'mov eax, LEN',
    ]);
    expect(r).toMatchObject({
      ok: true,
      source: { lines: ['.equ PS, 0x8', '.ascii "PS"', '.equ LEN, end - start', 'mov eax, LEN'] },
    });
  });

  it('names the line of a wrong constant expression', async () => {
    expect(await reason('x86_64', 'nop\n.equ A, 1 / 0')).toBe(
      'f.s:2: division by zero (in the value of A): .equ A, 1 / 0',
    );
    expect(await reason('x86_64', '.equ A, 1\nmov eax, A | 2 & 3')).toBe(
      "f.s:2: '|' and '&' mixed without parentheses: add them to say which goes first: mov eax, A | 2 & 3",
    );
    expect(await reason('arm64', 'mov w0, #0x1ffffffff')).toBe(
      'f.s:1: immediate 0x1ffffffff does not fit in 32 bits (the register is w0): mov w0, #0x1ffffffff',
    );
  });
});
