import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { counterOffset } from '../../../emulator/unicorn/insn-counter.js';
import { library } from '../../../emulator/unicorn/library.js';
import { engine, type TestEngine } from './engine.js';

const open: TestEngine[] = [];
afterEach(() => {
  for (const e of open.splice(0)) e.uc.close();
});
/* Unicorn's count hook, whatever the default counter (block-count.test.ts tests the block counter). */
async function eng(...[arch, src, opts]: Parameters<typeof engine>): Promise<TestEngine> {
  const e = await engine(arch, src, { counter: 'hook', ...opts });
  open.push(e);
  return e;
}

/* A loop of `n` iterations: 1 + 2n instructions, then the halting instruction (counted). */
const x86Loop = (n: number): string => `mov ecx, ${n}\n l: dec ecx\n jnz l\n hlt`;
const armLoop = (n: number): string => `movz x1, #${n}\n l: subs x1, x1, #1\n b.ne l\n wfi`;

describe('instruction counter', () => {
  it('is calibrated in the engine struct', () => {
    const off = counterOffset(library());
    expect(off).not.toBeNull();
    expect(off! % 8).toBe(0);
  });

  for (const [arch, loop] of [
    ['x86_64', x86Loop],
    ['arm64', armLoop],
  ] as const) {
    it(`${arch}: counts runs that end early and runs that use their budget, exactly`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 300 }),
          fc.integer({ min: 1, max: 800 }),
          async (n, budget) => {
            const total = 1 + 2 * n + 1; // setup, n x (dec/subs, branch), hlt/wfi
            for (const jsCounting of [false, true]) {
              const e = await eng(arch, loop(n), { jsCounting });
              expect(e.uc.fastCounting).toBe(!jsCounting);
              expect(e.uc.emuStart(e.entry, 0, 0, budget)).toBe(0);
              expect(e.uc.instructionsLastRun()).toBe(Math.min(total, budget));
              expect(e.uc.budgetExhaustedLastRun()).toBe(total > budget);
              e.uc.close();
              open.pop();
            }
          },
        ),
        { numRuns: 25 },
      );
    });
  }

  it('a stop requested from inside an instruction counts one extra (corrected by the flag)', async () => {
    for (const jsCounting of [false, true]) {
      for (const budget of [2, 3, 100]) {
        const e = await eng('x86_64', 'mov al, 3\n out 0xf4, al\n nop\n hlt', { jsCounting });
        e.uc.hookOut(() => e.uc.emuStop());
        e.uc.emuStart(e.entry, 0, 0, budget);
        expect(e.uc.instructionsLastRun(true), `budget ${budget}, js ${jsCounting}`).toBe(2);
        expect(e.uc.regRead('rip')).toBe(e.entry + 4);
      }
    }
  });

  it('a stop from the interrupt hook counts the trapping instruction once', async () => {
    const e = await eng('arm64', 'nop\n nop\n svc #1\n nop\n wfi');
    e.uc.hookIntr(() => e.uc.emuStop());
    e.uc.emuStart(e.entry, 0, 0, 100);
    expect(e.uc.instructionsLastRun()).toBe(3);
  });

  it('a faulting access counts the faulting instruction', async () => {
    const e = await eng('x86_64', 'nop\n nop\n mov rax, 0x7000000000\n mov rbx, [rax]\n hlt');
    expect(e.uc.emuStart(e.entry, 0, 0, 100)).not.toBe(0);
    expect(e.uc.instructionsLastRun()).toBe(4);
  });

  it('refuses to count a run without a budget', async () => {
    const e = await eng('x86_64', 'hlt');
    e.uc.emuStart(e.entry, 0, 0, 0);
    expect(() => e.uc.instructionsLastRun()).toThrow(/no instruction budget/);
  });
});
