// Structural sharing between snapshots: the result always equals the new snapshot, and exactly the
// parts that did not change keep the previous snapshot's objects.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sameData, shareSnapshot } from '../../../cli/tui/snapshot-share.js';
import type { TuiSnapshot } from '../../../cli/tui/model.js';
import { gpa } from '../../../mmu/addr.js';
import { FakeSession } from './fake-session.js';

const PARTS = ['run', 'cpu', 'faults', 'clients', 'holdLog', 'memory', 'gpt', 'selection', 'pools'] as const;

describe('sameData', () => {
  it('compares primitives, bigints, byte arrays, arrays and plain objects by content', () => {
    expect(sameData(1n << 60n, 1n << 60n)).toBe(true);
    expect(sameData(1n, 1)).toBe(false);
    expect(sameData(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true);
    expect(sameData(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(false);
    expect(sameData(new Uint8Array([1]), [1])).toBe(false);
    expect(sameData({ a: [1, { b: 'x' }] }, { a: [1, { b: 'x' }] })).toBe(true);
    expect(sameData({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(sameData({ a: undefined }, { b: undefined })).toBe(false);
    expect(sameData([1, 2], [1, 2, 3])).toBe(false);
    expect(sameData(null, {})).toBe(false);
    expect(sameData(NaN, NaN)).toBe(true);
  });
});

describe('shareSnapshot', () => {
  it('keeps unchanged parts by identity, takes changed ones, and equals the new snapshot', () => {
    type Op =
      | { kind: 'advance'; n: number }
      | { kind: 'harvest' }
      | { kind: 'select'; page: number }
      | { kind: 'same' };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('advance' as const), n: fc.integer({ min: 1, max: 20 }) }),
      fc.constant({ kind: 'harvest' as const }),
      fc.record({ kind: fc.constant('select' as const), page: fc.integer({ min: 0, max: 63 }) }),
      fc.constant({ kind: 'same' as const }),
    );
    fc.assert(
      fc.property(fc.constantFrom('x86_64', 'arm64'), fc.array(op, { maxLength: 25 }), (arch, ops) => {
        const s = new FakeSession({ arch, pages: 64 });
        let prev: TuiSnapshot = shareSnapshot(null, s.snapshot());
        for (const o of ops) {
          if (o.kind === 'advance') s.advance(o.n);
          else if (o.kind === 'harvest') s.harvest();
          else if (o.kind === 'select') s.select(gpa(s.base + o.page * 4096));
          const raw = s.snapshot();
          const next = shareSnapshot(prev, raw);
          expect(sameData(next, raw)).toBe(true);
          for (const k of PARTS) {
            if (sameData(prev[k], raw[k])) expect(next[k]).toBe(prev[k]);
            else expect(next[k]).toBe(k === 'cpu' ? next.cpu : raw[k]);
          }
          if (!sameData(prev.cpu, raw.cpu)) {
            expect(next.cpu.regs).toBe(sameData(prev.cpu.regs, raw.cpu.regs) ? prev.cpu.regs : raw.cpu.regs);
            expect(next.cpu.disasm).toBe(
              sameData(prev.cpu.disasm, raw.cpu.disasm) ? prev.cpu.disasm : raw.cpu.disasm,
            );
          }
          prev = next;
        }
      }),
      { numRuns: 60 },
    );
  });

  it('shares the parts a running guest leaves alone (fault log, clients, pools)', () => {
    const s = new FakeSession({ arch: 'x86_64', pages: 64 });
    s.advance(200); // every page touched: later steps fault no more
    const a = s.snapshot();
    s.advance(2);
    const b = shareSnapshot(a, s.snapshot());
    expect(b.cpu).not.toBe(a.cpu);
    expect(b.cpu.instructions).toBe(a.cpu.instructions + 2);
    expect(b.clients).toBe(a.clients);
    expect(b.pools).toBe(a.pools);
  });
});
