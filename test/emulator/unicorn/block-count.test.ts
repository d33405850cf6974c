// The block counter (emulator/unicorn/block-count.ts) counts exactly what Unicorn's count hook
// counts: for budgets that end anywhere, for early stops in the middle of a block, and for code
// that rewrites itself. Small guests and few runs, so the file takes seconds.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { Arch } from '../../../emulator/arch.js';
import { loadGuest, loadGuestBytes } from '../../../emulator/loaders/index.js';
import { readFileSync } from 'node:fs';
import { Machine } from '../../../emulator/machine.js';
import type { MachineEvent } from '../../../emulator/events.js';
import { counterChoice } from '../../../emulator/unicorn/block-shim.js';
import { engine, type TestEngine } from './engine.js';

const open: TestEngine[] = [];
afterEach(() => {
  for (const e of open.splice(0)) e.uc.close();
});

const x86Loop = (n: number): string => `mov ecx, ${n}\n l: dec ecx\n nop\n nop\n jnz l\n hlt`;
const armLoop = (n: number): string => `movz x1, #${n}\n l: subs x1, x1, #1\n nop\n b.ne l\n wfi`;
const LOOPS = { x86_64: x86Loop, arm64: armLoop } as const;

describe('block counter, one engine', () => {
  it('set-up built it, and NESTVM_COUNTER chooses', () => {
    expect(counterChoice({ ...process.env, NESTVM_COUNTER: 'block' }).kind).toBe('block');
    expect(counterChoice({ ...process.env, NESTVM_COUNTER: 'hook' }).kind).toBe('hook');
    expect(() => counterChoice({ ...process.env, NESTVM_COUNTER: 'fast' })).toThrow(/'hook' or 'block'/);
  });

  for (const arch of ['x86_64', 'arm64'] as const) {
    it(`${arch}: any budget ends on the same instruction as the count hook`, async () => {
      const n = 40;
      const perIter = arch === 'x86_64' ? 4 : 3;
      const total = 1 + perIter * n + 1;
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: total + 20 }), async (budget) => {
          const e = await engine(arch, LOOPS[arch](n), { counter: 'block' });
          open.push(e);
          expect(e.uc.counter).toBe('block');
          expect(e.uc.emuStart(e.entry, 0, 0, budget)).toBe(0);
          expect(e.uc.instructionsLastRun()).toBe(Math.min(total, budget));
          expect(e.uc.budgetExhaustedLastRun()).toBe(total > budget);
          // the rest of the run, from where the budget left it, counts the rest
          if (total > budget) {
            e.uc.emuStart(e.uc.regRead(arch === 'x86_64' ? 'rip' : 'pc'), 0, 0, total);
            expect(e.uc.instructionsLastRun()).toBe(total - budget);
          }
        }),
        { numRuns: 20 },
      );
    });
  }

  it('a fault in the middle of a block counts the faulting instruction, at its own pc', async () => {
    const src = 'nop\n nop\n mov rax, 0x7000000000\n mov rbx, [rax]\n hlt';
    const e = await engine('x86_64', src, { counter: 'block' });
    open.push(e);
    expect(e.uc.emuStart(e.entry, 0, 0, 100)).not.toBe(0);
    expect(e.uc.instructionsLastRun()).toBe(4);
    expect(e.uc.regRead('rip')).toBe(e.entry + 2 + 10);
  });

  it('a run without a budget is not stopped by the last budgeted run', async () => {
    const e = await engine('x86_64', x86Loop(50), { counter: 'block' });
    open.push(e);
    e.uc.emuStart(e.entry, 0, 0, 3);
    expect(e.uc.emuStart(e.uc.regRead('rip'), 0, 0, 0)).toBe(0);
    expect(e.uc.regRead('rcx')).toBe(0); // the loop ran to its hlt
  });

  it('a stop from the interrupt hook counts the trapping instruction once', async () => {
    const e = await engine('arm64', 'nop\n nop\n svc #1\n nop\n wfi', { counter: 'block' });
    open.push(e);
    e.uc.hookIntr(() => e.uc.emuStop());
    e.uc.emuStart(e.entry, 0, 0, 100);
    expect(e.uc.instructionsLastRun()).toBe(3);
  });
});

/* One run of a sample guest: what a user and a trace see (the trace's access sites aside). */
async function runOf(path: string, arch: Arch, counter: 'hook' | 'block', maxInsns?: number) {
  const memBytes = 16 << 20;
  const events: MachineEvent[] = [];
  let consoleText = '';
  const m = new Machine(await loadGuest(path, { memBytes, arch }), {
    memBytes,
    counter,
    maxInsns,
    sliceInsns: 5000,
    onConsole: (t) => (consoleText += t),
    sink: { enabled: true, emit: (e) => events.push(e) },
  });
  try {
    expect(m.counter).toBe(counter);
    const stop = m.run();
    // Fill and fault events name their instruction (pc, insns): per block under the block counter.
    const trace = events.map((e) => {
      const { pc: _pc, insns: _insns, ...rest } = e as { pc?: number; insns?: number };
      return JSON.stringify(rest);
    });
    return { instructions: m.instructions, stop, consoleText, trace };
  } finally {
    m.close();
  }
}

/*
 * A port write that ends the guest in the middle of a block, followed by a register change, a store
 * and more: only the instructions up to the `out` run (block-count.ts, io-followers.ts).
 */
const PORT_MID_BLOCK = [
  '; arch: x86_64',
  'mov ecx, 20',
  'l: dec ecx',
  'jnz l',
  'mov al, 0x11',
  'out 0xe9, al',
  'mov dx, 0xf4',
  'out dx, al',
  'inc rcx',
  'mov [rsp - 8], rcx',
  'inc rcx',
  'out 0xe9, al',
  'hlt',
].join('\n');

describe('block counter, a port write that stops the guest mid-block', () => {
  for (const counter of ['hook', 'block'] as const) {
    it(`${counter}: the exact count, stop, pc and registers`, async () => {
      const memBytes = 16 << 20;
      const img = await loadGuestBytes(new TextEncoder().encode(PORT_MID_BLOCK), 'port.s', { memBytes });
      let text = '';
      const m = new Machine(img, { memBytes, counter, onConsole: (t) => (text += t) });
      try {
        expect(m.counter).toBe(counter);
        const stop = m.run();
        // mov, 20 x (dec, jnz), mov, out, mov, out: 1 + 40 + 4
        expect(m.instructions).toBe(45);
        expect(stop).toMatchObject({ reason: 'exit', code: (0x11 << 1) | 1 });
        expect(stop.pc).toBe(img.entry + 5 + 4 + 2 + 2 + 4 + 1); // the inc after `out dx, al`
        expect(m.regs().rcx).toBe(0n);
        expect(text).toBe('\x11');
      } finally {
        m.close();
      }
    });
  }
});

describe('block counter, whole guests', () => {
  const guests = [
    ['guests/x86_64/smc.s', 'x86_64'],
    ['guests/arm64/smc.s', 'arm64'],
    ['guests/x86_64/paging.s', 'x86_64'],
    ['guests/arm64/hello.s', 'arm64'],
  ] as const;
  for (const [path, arch] of guests) {
    it(`${path}: the same count, stop, console and trace as the count hook, whole and cut short`, async () => {
      const whole = await runOf(path, arch, 'hook');
      expect(await runOf(path, arch, 'block')).toEqual(whole);
      for (const max of [1, 13, Math.floor(whole.instructions / 2)]) {
        expect(await runOf(path, arch, 'block', max), `--max-insns ${max}`).toEqual(
          await runOf(path, arch, 'hook', max),
        );
      }
    });
  }

  // After a tail, the tail's deleted code hook stays listed until the end of the next run, and the
  // engine then kept a stale pc when that run stopped before a block: at slices of 101 or 499 the
  // loop guest began blocks over again and printed a wrong checksum (block-counter.c, stop_before).
  it('the loop guest in small slices: the same run as the count hook', async () => {
    const src = readFileSync('guests/x86_64/loop.s', 'utf8').replace(
      /^(\.equ\s+ITERATIONS\s*,\s*)\d+/m,
      '$120000',
    );
    const run = async (counter: 'hook' | 'block', sliceInsns: number) => {
      const memBytes = 16 << 20;
      const img = await loadGuestBytes(new TextEncoder().encode(src), 'loop.s', { memBytes });
      let consoleText = '';
      const m = new Machine(img, {
        memBytes,
        counter,
        sliceInsns,
        onConsole: (t) => (consoleText += t),
      });
      try {
        return { stop: m.run(), instructions: m.instructions, consoleText, rbx: m.regs().rbx };
      } finally {
        m.close();
      }
    };
    const hook = await run('hook', 2_000_000);
    expect(hook.consoleText).toMatch(/checksum 0x[0-9a-f]{16}/);
    for (const slice of [101, 499, 997])
      expect(await run('block', slice), `slices of ${slice}`).toEqual(hook);
  });

  it('random instruction limits on the self-modifying guests', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...guests.slice(0, 2)),
        fc.integer({ min: 1, max: 260 }),
        async ([path, arch], max) => {
          expect(await runOf(path, arch, 'block', max)).toEqual(await runOf(path, arch, 'hook', max));
        },
      ),
      { numRuns: 8 },
    );
  });
});
