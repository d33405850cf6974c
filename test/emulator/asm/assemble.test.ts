import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LAYOUT, type Arch } from '../../../emulator/arch.js';
import { assemble, AsmError } from '../../../emulator/asm/assemble.js';
import { BadGuestError } from '../../../emulator/image.js';
import { archHeader } from '../../../emulator/asm/source.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

async function asmError(arch: Arch, src: string, deadlineMs?: number): Promise<AsmError> {
  try {
    await assemble(arch, src, LAYOUT[arch].defaultLoad, { origin: 'f.s', deadlineMs });
  } catch (e) {
    if (e instanceof AsmError) return e;
    throw e;
  }
  throw new Error('expected an assembly error');
}

describe('assemble x86_64', () => {
  it('encodes known instructions in Intel syntax', async () => {
    const p = await assemble('x86_64', 'mov rax, 1\nhlt\nout dx, al', 0x10_0000);
    expect(hex(p.bytes)).toBe('48c7c001000000' + 'f4' + 'ee');
  });

  it('reads numbers as decimal unless 0x-prefixed (pins the keystone radix choice)', async () => {
    const p = await assemble('x86_64', 'mov ecx, 4096\nmov ecx, 0x10\n.byte 10', 0);
    expect(hex(p.bytes)).toBe('b900100000' + 'b910000000' + '0a');
  });

  it('resolves labels, RIP-relative references and directives', async () => {
    const src =
      'start: lea rsi, [rip + msg]\njmp start\nmsg: .asciz "hi"\n.balign 8\nval: .quad 0x1122334455667788';
    const p = await assemble('x86_64', src, 0x10_0000);
    // lea (7 bytes) + jmp rel8 (2) + "hi\0" (3) = 12, padded to 16, then the quad.
    expect(p.bytes.length).toBe(24);
    expect(hex(p.bytes.subarray(0, 7))).toBe('488d3502000000');
    expect(hex(p.bytes.subarray(9, 12))).toBe('686900');
    expect(hex(p.bytes.subarray(16))).toBe('8877665544332211');
    expect(p.symbols).toEqual([
      { name: 'start', addr: 0x10_0000, size: 9 },
      { name: 'msg', addr: 0x10_0009, size: 7 },
      { name: 'val', addr: 0x10_0010, size: 8 },
    ]);
  });

  it('strips ; # and // comments but keeps them inside strings', async () => {
    const p = await assemble('x86_64', 'nop ; one\nnop # two\nnop // three\n.ascii "a;b#c//d"', 0);
    expect(hex(p.bytes)).toBe('909090' + Buffer.from('a;b#c//d').toString('hex'));
  });

  it('reports the failing source line with its text', async () => {
    const e = await asmError('x86_64', 'nop\n\n  ; comment\nmov rax, 1\n  foo rax, 2   ; bad\nnop');
    expect(e).toBeInstanceOf(BadGuestError);
    expect(e.line).toBe(5);
    expect(e.message).toBe('f.s:5: invalid mnemonic: foo rax, 2   ; bad');
  });

  it('reports an undefined symbol on the line that uses it', async () => {
    const e = await asmError('x86_64', 'here: nop\njmp here\njmp nowhere\nlater: nop');
    expect(e.message).toBe('f.s:3: undefined symbol: jmp nowhere');
  });

  it('does not blame a forward reference to a label defined later', async () => {
    const e = await asmError('x86_64', 'jmp later\nnop\nmov eax, ebx, ecx\nlater: hlt');
    expect(e.line).toBe(3);
    expect(e.reason).toBe('invalid operand');
  });

  it('refuses an unclosed bracket, which keystone would read as closed', async () => {
    // Keystone alone turns `mov rax, [` into `movabs rax, [0]` and `[rsi + 8` into `[rsi + 8]`.
    expect((await asmError('x86_64', 'nop\nmov rax, [')).message).toBe("f.s:2: unclosed '[': mov rax, [");
    const e = await asmError('x86_64', 'mov eax, [rsi + 8  ; no bracket');
    expect(e.message).toBe("f.s:1: unclosed '[': mov eax, [rsi + 8  ; no bracket");
  });

  it('refuses section directives with the line', async () => {
    const e = await asmError('x86_64', 'nop\n.data\nnop');
    expect(e.message).toBe('f.s:2: sections are not supported (the image is one flat blob): .data');
  });
});

describe('assemble arm64', () => {
  it('encodes known instructions', async () => {
    const p = await assemble('arm64', 'mov x0, #1\nhvc #0\nhlt #0xf000', 0x4008_0000);
    expect(hex(p.bytes)).toBe('200080d2' + '020000d4' + '00005ed4');
  });

  it('treats // as a comment and # as the immediate prefix', async () => {
    const p = await assemble('arm64', 'mov x0, #10 // ten\nnop', 0x4008_0000);
    expect(hex(p.bytes)).toBe('400180d2' + '1f2003d5');
  });

  it('reports the failing line', async () => {
    const e = await asmError('arm64', 'nop\nb later\nldr x0, [x1\nlater: nop');
    expect(e.message).toBe("f.s:3: unclosed '[': ldr x0, [x1");
  });

  it('survives a keystone abort, keeps our exit status, and assembles again afterwards', async () => {
    const before = process.exitCode;
    const e = await asmError('arm64', 'nop\nadrp x1, msg\nadd x1, x1, :lo12:msg\nmsg: .byte 1');
    expect(e.line).toBe(3);
    expect(e.reason).toContain('fixup');
    expect(process.exitCode).toBe(before);
    const p = await assemble('arm64', 'nop', 0x4008_0000);
    expect(hex(p.bytes)).toBe('1f2003d5');
  });

  it('explains an unencodable immediate', async () => {
    const e = await asmError('arm64', 'nop\nmov x0, #0x84000008');
    expect(e.line).toBe(2);
    expect(e.reason).toMatch(/cannot encode/);
  });
});

describe('error location (property)', () => {
  const good: Record<Arch, string[]> = {
    x86_64: [
      'nop',
      'mov rax, 1',
      'add rbx, rax',
      'jmp top',
      'jz bottom',
      '.byte 1, 2',
      'lea rsi, [rip + top]',
    ],
    arm64: ['nop', 'mov x0, #1', 'add x1, x1, x0', 'b top', 'cbz x0, bottom', '.balign 4', 'adr x2, top'],
  };
  const bad: Record<Arch, string[]> = {
    x86_64: ['foo rax', 'mov eax, ebx, ecx', 'jmp missing_label'],
    arm64: ['foo x0', 'ldr x0, [x1', 'b missing_label', 'mov x0, #0x84000008'],
  };
  for (const arch of ['x86_64', 'arm64'] as const) {
    it(`finds the one bad line in a random ${arch} program`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.constantFrom(...good[arch]), { minLength: 0, maxLength: 30 }),
          fc.nat(),
          fc.constantFrom(...bad[arch]),
          async (body, at, wrong) => {
            const pos = at % (body.length + 1);
            const lines = ['top:', ...body.slice(0, pos), wrong, ...body.slice(pos), 'bottom: nop'];
            const e = await asmError(arch, lines.join('\n'));
            expect(e.line).toBe(pos + 2);
            expect(e.text).toBe(wrong);
          },
        ),
        { numRuns: 25 },
      );
    });
  }
});

describe('the sample guests', () => {
  const root = join(import.meta.dirname, '../../../guests');
  for (const arch of ['x86_64', 'arm64'] as const) {
    const dir = join(root, arch);
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.s'))) {
      it(`${arch}/${f} names its arch and assembles`, async () => {
        const src = readFileSync(join(dir, f), 'utf8');
        expect(archHeader(src)?.arch).toBe(arch);
        const p = await assemble(arch, src, LAYOUT[arch].defaultLoad, { origin: f });
        expect(p.bytes.length).toBeGreaterThan(0);
        expect(p.symbols[0]).toMatchObject({ name: 'start', addr: LAYOUT[arch].defaultLoad });
      });
    }
  }
});

describe('assembly always ends', () => {
  for (const arch of ['x86_64', 'arm64'] as const) {
    it(`${arch}: refuses the lines Keystone hangs on at once, naming the line`, async () => {
      for (const line of [':', ':::', '.ascii "abc']) {
        const t0 = Date.now();
        const e = await asmError(arch, `nop\n${line}\nnop`);
        expect(e.line).toBe(2);
        expect(Date.now() - t0).toBeLessThan(2000);
      }
    });

    it(`${arch}: a hang the line checks miss ends at the deadline, blamed on its line`, async () => {
      // `.ascii \` passes the line checks but Keystone loops on it: the deadline is the backstop.
      const t0 = Date.now();
      const e = await asmError(arch, 'nop\nnop\n.ascii \\\nnop', 300);
      expect(e.line).toBe(3);
      expect(e.reason).toMatch(/^the assembler does not finish on this line/);
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(hex((await assemble(arch, 'nop', 0)).bytes)).toBe(arch === 'x86_64' ? '90' : '1f2003d5');
    });
  }
});
