// Breakpoints on the real engine (emulator/debug/breakpoints.ts): Unicorn 2.1.1 stops before the
// instruction under a breakpoint, the pause does not count it, a step from it needs it lifted, a
// breakpoint set after the code was translated still fires, and a plain runSlice refuses a pause.
import { describe, expect, it } from 'vitest';
import { loadGuest } from '../../../emulator/loaders/index.js';
import { Machine } from '../../../emulator/machine.js';
import { InvariantError } from '../../../mmu/checks.js';

const MEM = 16 << 20;

describe.each(['x86_64', 'arm64'])('breakpoints (%s)', (arch) => {
  it('pause before the instruction, uncounted, exactly where single steps arrive', async () => {
    const image = await loadGuest(`guests/${arch}/paging.s`, { memBytes: MEM });
    const strcpy = image.symbols.find((s) => s.name === 'strcpy')!.addr;
    const pcName = arch === 'x86_64' ? 'rip' : 'pc';
    // the model: single steps until the pc first reaches strcpy
    const stepper = new Machine(image, { memBytes: MEM });
    while (Number(stepper.debug.reg(pcName)) !== strcpy) expect(stepper.runSlice(1)).toBeNull();
    const expected = stepper.instructions;
    stepper.close();

    const m = new Machine(image, { memBytes: MEM });
    try {
      m.runSlice(5); // some code translated before the breakpoint exists
      m.debug.breakpoints.add(strcpy);
      expect(m.debugSlice(1_000_000)).toEqual({ kind: 'breakpoint', pc: strcpy });
      expect(m.instructions).toBe(expected);
      expect(Number(m.debug.reg(pcName))).toBe(strcpy);
      // the hook fires again at once unless lifted
      expect(m.debugSlice(10)).toEqual({ kind: 'breakpoint', pc: strcpy });
      expect(m.instructions).toBe(expected);
      expect(m.debug.breakpoints.lifted(strcpy, () => m.debugSlice(1))).toBeNull();
      expect(m.instructions).toBe(expected + 1);
      expect(m.debug.breakpoints.has(strcpy)).toBe(true);
      // the loop in strcpy comes back to it: a plain slice refuses to carry a debugger's pause
      expect(() => m.runSlice(1_000_000)).toThrow(InvariantError);
      m.debug.breakpoints.clear();
      expect(m.run().code).toBe(0);
    } finally {
      m.close();
    }
  });
});
