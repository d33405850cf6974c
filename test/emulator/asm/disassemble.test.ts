import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../../emulator/asm/assemble.js';
import { disassemble, loadDisassembler } from '../../../emulator/asm/disassemble.js';

const text = (xs: { mnemonic: string; opStr: string }[]): string[] =>
  xs.map((i) => `${i.mnemonic} ${i.opStr}`.trim());

describe('disassemble', () => {
  it('decodes x86-64 bytes in Intel syntax with addresses', async () => {
    const bytes = new Uint8Array([0x48, 0xc7, 0xc0, 0x01, 0, 0, 0, 0x66, 0xba, 0xe9, 0, 0xee, 0xf4]);
    const out = await disassemble('x86_64', bytes, 0x10_0000);
    expect(text(out)).toEqual(['mov rax, 1', 'mov dx, 0xe9', 'out dx, al', 'hlt']);
    expect(out.map((i) => i.addr)).toEqual([0x10_0000, 0x10_0007, 0x10_000b, 0x10_000c]);
    expect(Array.from(out[1].bytes)).toEqual([0x66, 0xba, 0xe9, 0]);
  });

  it('decodes arm64 words', async () => {
    const bytes = new Uint8Array([0x20, 0, 0x80, 0xd2, 0x02, 0, 0, 0xd4, 0, 0, 0x5e, 0xd4]);
    const out = await disassemble('arm64', bytes, 0x4008_0000);
    expect(text(out)).toEqual(['mov x0, #1', 'hvc #0', 'hlt #0xf000']);
    expect(out[2].addr).toBe(0x4008_0008);
  });

  it('shows undecodable bytes as data and resumes after them', async () => {
    const x = await disassemble('x86_64', new Uint8Array([0x06, 0x90]), 0x1000); // 0x06 is invalid in 64-bit mode
    expect(text(x)).toEqual(['.byte 0x06', 'nop']);
    const a = await disassemble(
      'arm64',
      new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x1f, 0x20, 0x03, 0xd5, 0x01]),
      0,
    );
    expect(text(a)).toEqual(['.inst 0xffffffff', 'nop', '.byte 0x01']);
  });

  it('stops after count instructions', async () => {
    const out = await disassemble('x86_64', new Uint8Array([0x90, 0x90, 0x90, 0x90]), 0, 3);
    expect(out).toHaveLength(3);
  });

  it('covers any byte string contiguously (property)', async () => {
    for (const arch of ['x86_64', 'arm64'] as const) {
      const dis = await loadDisassembler(arch);
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat({ max: 0xffff_ffff }), (bytes, addr) => {
          const out = dis(bytes, addr);
          let at = addr;
          for (const i of out) {
            expect(i.addr).toBe(at);
            expect(i.bytes.length).toBeGreaterThan(0);
            at += i.bytes.length;
          }
          expect(at).toBe(addr + bytes.length);
          expect(Buffer.concat(out.map((i) => i.bytes)).equals(Buffer.from(bytes))).toBe(true);
        }),
        { numRuns: 200 },
      );
    }
  });

  it('round-trips assembled code', async () => {
    const p = await assemble('arm64', 'top: movz w0, #0x8\nmovk w0, #0x8400, lsl #16\nb top', 0x4008_0000);
    const out = await disassemble('arm64', p.bytes, p.baseAddr);
    expect(text(out)).toEqual(['mov w0, #8', 'movk w0, #0x8400, lsl #16', 'b #0x40080000']);
  });
});
