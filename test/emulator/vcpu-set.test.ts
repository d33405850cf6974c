/*
 * The round-robin of emulator/vcpu-set.ts against a model: whatever budgets the caller cuts its
 * slices into, each instruction runs on the vCPU the model says (quantum after quantum, in order
 * of id, skipping vCPUs that are not on). No engine: the Cores are records with stand-in engines.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Unicorn } from '../../emulator/unicorn/unicorn.js';
import { VcpuSet } from '../../emulator/vcpu-set.js';

function set(count: number, quantum: number, on: readonly number[] = []): VcpuSet {
  const s = new VcpuSet(count, quantum);
  for (let id = 0; id < count; id++) {
    s.add({
      id,
      uc: {} as Unicorn,
      client: null,
      mmu: null,
      translator: { translate: () => 'nomap' } as never,
    });
  }
  for (const id of on) s.cores[id].power = 'on';
  return s;
}

/* Which vCPU runs each of the first `total` instructions, by the scheduler cut into `budgets`. */
function owners(s: VcpuSet, budgets: readonly number[], total: number): number[] {
  const out: number[] = [];
  for (let i = 0; out.length < total; i++) {
    const turn = s.next()!;
    const ran = Math.min(budgets[i % budgets.length], turn.owed, total - out.length);
    for (let k = 0; k < ran; k++) out.push(turn.core.id);
    s.ran(ran);
  }
  return out;
}

describe('VcpuSet', () => {
  it("one vCPU: every slice is the caller's whole budget", () => {
    const s = set(1, 5);
    expect(s.next()).toEqual({ core: s.cores[0], owed: Infinity });
  });

  it('vCPU 0 starts on, the others off; a halted vCPU is skipped and the last halt ends the run', () => {
    const s = set(3, 4);
    expect(s.cores.map((c) => c.power)).toEqual(['on', 'off', 'off']);
    expect(s.next()!.core.id).toBe(0);
    s.halt({ reason: 'halt', code: 0, message: 'hlt' });
    expect(s.anyOn()).toBe(false);
    expect(s.next()).toBeNull();
    expect(s.endCause().message).toBe('hlt');
  });

  it('where the caller cuts its slices never changes who runs which instruction (model)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 8 }),
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 10 }),
        (count, quantum, budgets) => {
          const total = 400;
          const all = Array.from({ length: count }, (_, i) => i);
          const model = Array.from({ length: total }, (_, i) => Math.floor(i / quantum) % count);
          expect(owners(set(count, quantum, all), budgets, total)).toEqual(model);
          const counted = set(count, quantum, all);
          owners(counted, budgets, total);
          expect(counted.cores.reduce((n, c) => n + c.insns, 0)).toBe(total);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a vCPU picked alone: its owed turn goes on, any other runs out of turn and the round-robin does not move (model)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 6 }),
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.option(fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 60 }),
        (count, quantum, steps) => {
          const s = set(
            count,
            quantum,
            Array.from({ length: count }, (_, i) => i),
          );
          const scheduled: number[] = [];
          const alone = new Array<number>(count).fill(0);
          for (const step of steps) {
            const turn = step === null ? s.next()! : s.pick(step % count)!;
            if (turn.owed === Infinity) alone[turn.core.id]++;
            else scheduled.push(turn.core.id);
            expect(s.current).toBe(turn.core);
            s.ran(1);
            s.endTurn();
          }
          // the instructions the round-robin owns follow the model; the solo ones add to their vCPU
          expect(scheduled).toEqual(scheduled.map((_, i) => Math.floor(i / quantum) % count));
          const ran = s.cores.map((c) => c.insns);
          const model = alone.map((n, id) => n + scheduled.filter((c) => c === id).length);
          expect(ran).toEqual(model);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('pick refuses a vCPU that is off or halted, and an id out of range', () => {
    const s = set(3, 4, [0, 1]);
    expect(s.pick(2)).toBeNull();
    expect(s.pick(7)).toBeNull();
    expect(s.pick(1)).toEqual({ core: s.cores[1], owed: Infinity });
    s.endTurn();
    expect(s.peek()).toBe(s.cores[0]);
  });
});
