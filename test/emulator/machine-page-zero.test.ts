// The lowest page of guest RAM runs like any other (issue 9: x86-64 code in guest-physical page 0
// stopped before its first instruction, because the engine took `until` = 0 as a stop address).
import { afterEach, describe, expect, it } from 'vitest';
import { LAYOUT, type Arch } from '../../emulator/arch.js';
import { loadGuestBytes } from '../../emulator/loaders/index.js';
import { Machine } from '../../emulator/machine.js';
import { FixedOffsetTranslator } from '../../emulator/translator.js';
import { gpa, hpa } from '../../mmu/addr.js';
import { MiB, code } from './unicorn/guest.js';

const machines: Machine[] = [];
afterEach(() => {
  for (const m of machines.splice(0)) m.close();
});

/* Store '*' at offset 0x800 of the lowest RAM page, load it back, print it, stop. */
const STORE_LOAD_PRINT: Record<Arch, { src: string; insns: number }> = {
  x86_64: {
    src: 'mov byte ptr [0x800], 0x2a\n mov al, byte ptr [0x800]\n out 0xe9, al\n hlt',
    insns: 4,
  },
  arm64: {
    src:
      'movz x1, #0x4000, lsl #16\n movz w2, #0x2a\n strb w2, [x1, #0x800]\n ldrb w3, [x1, #0x800]\n' +
      'movz x4, #0x0900, lsl #16\n str w3, [x4]\n wfi',
    insns: 7,
  },
};

async function lowestPage(arch: Arch, withTranslator: boolean): Promise<{ m: Machine; end: number }> {
  const src = new TextEncoder().encode(STORE_LOAD_PRINT[arch].src);
  const load = LAYOUT[arch].ramBase;
  const img = await loadGuestBytes(src, `page0-${arch}.s`, { arch, load, memBytes: MiB });
  const m = new Machine(img, {
    memBytes: MiB,
    ...(withTranslator
      ? { translator: (ctx) => new FixedOffsetTranslator(ctx.ramBase, ctx.memBytes, hpa(0), ctx.windows) }
      : {}),
  });
  machines.push(m);
  return { m, end: load + img.segments[0].data.length };
}

describe('Machine: code in the lowest page of guest RAM', () => {
  for (const arch of ['x86_64', 'arm64'] as const) {
    for (const withTranslator of [false, true]) {
      const how = withTranslator ? 'fixed-offset translator' : 'nested layer';
      it(`${arch} (${how}): runs from the first byte of RAM, reads and writes there`, async () => {
        const { m, end } = await lowestPage(arch, withTranslator);
        const stop = m.run();
        expect(stop.reason).toBe('halt');
        expect(stop.code).toBe(0);
        expect(m.console).toBe('*');
        expect(m.instructions).toBe(STORE_LOAD_PRINT[arch].insns);
        expect(stop.pc).toBe(end); // just past hlt / wfi, the last instruction
      });
    }
  }

  it('x86_64: a jump to guest-physical 0 executes the hlt there', async () => {
    const far = await code('x86_64', 'xor eax, eax\n jmp rax');
    const m = new Machine(
      {
        arch: 'x86_64',
        entry: LAYOUT.x86_64.defaultLoad,
        segments: [
          { gpa: 0, data: new Uint8Array([0xf4]), memSize: 1, flags: 'rwx' },
          { gpa: LAYOUT.x86_64.defaultLoad, data: far, memSize: far.length, flags: 'rwx' },
        ],
        symbols: [],
        origin: '<test>',
        kind: 'raw',
      },
      { memBytes: 2 * MiB },
    );
    machines.push(m);
    const stop = m.run();
    expect(stop.reason).toBe('halt');
    expect(stop.pc).toBe(1);
    expect(m.instructions).toBe(3);
    expect(m.frameOf(gpa(0))).not.toBeNull();
  });
});
