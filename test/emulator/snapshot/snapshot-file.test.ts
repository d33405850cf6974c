/*
 * The snapshot file and diffs against simple models (no engine needed):
 *
 *   - any snapshot (one to eight vCPUs, bounded or unbounded quanta) encodes and decodes to
 *     itself, with the same id each time;
 *   - any change of one byte, and any cut, is a SnapshotFileError, never another exception;
 *   - mergeDiff agrees with a model of guest RAM as a map from page to content: the base's pages,
 *     overwritten by the diff's, zero pages dropped.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GuestState } from '../../../emulator/snapshot/guest-state.js';
import {
  decodeSnapshot,
  encodeSnapshot,
  SnapshotFileError,
} from '../../../emulator/snapshot/snapshot-file.js';
import { mergeDiff, pageOf, type Snapshot } from '../../../emulator/snapshot/snapshot.js';
import { PAGE_SIZE } from '../../../mmu/addr.js';

const PAGES = 16;

/* Byte equality (vitest's deep equality is slow on large typed arrays). */
const same = (a: Uint8Array, b: Uint8Array): boolean =>
  Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));

/* A page's content from a seed byte: zeros for 0, else a pattern. */
const content = (seed: number): Uint8Array => {
  const b = new Uint8Array(PAGE_SIZE);
  if (seed !== 0) for (let i = 0; i < PAGE_SIZE; i += 97) b[i] = (seed + i) & 0xff || 1;
  return b;
};

/* page -> seed, as a snapshot: its pages ascending, and their contents (seed 0: a zero page). */
function snapshotOf(model: Map<number, number>, state: GuestState, base: string | null): Snapshot {
  const pages = [...model.keys()].sort((a, b) => a - b);
  const data = new Uint8Array(pages.length * PAGE_SIZE);
  pages.forEach((p, i) => data.set(content(model.get(p)!), i * PAGE_SIZE));
  return { arch: state.arch, memBytes: PAGES * PAGE_SIZE, state, pages: Uint32Array.from(pages), data, base };
}

/* A count as the file keeps it: up to 2^53 - 1, or Infinity (unbounded). */
const countArb = fc.oneof(fc.maxSafeNat(), fc.constant(Infinity));

const vcpuArb = fc.record({
  power: fc.constantFrom('on' as const, 'off' as const, 'halted' as const),
  insns: fc.maxSafeNat(),
  turns: fc.nat({ max: 2 ** 40 }),
  registers: fc.array(
    fc.record({
      name: fc.constantFrom('rax', 'cr3', 'xmm0', 'sctlr_el1', 'q31'),
      value: fc.uint8Array({ minLength: 8, maxLength: 24 }),
    }),
    { maxLength: 6 },
  ),
});

const stateArb: fc.Arbitrary<GuestState> = fc.record({
  arch: fc.constantFrom('x86_64' as const, 'arm64' as const),
  instructions: fc.nat({ max: 2 ** 40 }),
  vcpus: fc.array(vcpuArb, { minLength: 1, maxLength: 8 }),
  schedule: fc.record({ quantum: countArb, current: fc.nat({ max: 7 }), owed: countArb }),
  devices: fc.array(
    fc.record({
      name: fc.constantFrom('uart16550', 'nestvm-dma'),
      words: fc.array(fc.nat({ max: 2 ** 32 - 1 }), { maxLength: 22 }),
    }),
    { maxLength: 2 },
  ),
  console: fc
    .array(fc.integer({ min: 0, max: 255 }), { maxLength: 40 })
    .map((codes) => String.fromCharCode(...codes)),
});

const modelArb = fc
  .array(fc.tuple(fc.integer({ min: 0, max: PAGES - 1 }), fc.integer({ min: 1, max: 255 })), {
    maxLength: PAGES,
  })
  .map((pairs) => new Map(pairs));

describe('snapshot file', () => {
  it('encodes and decodes any snapshot to itself, with a stable id', () => {
    fc.assert(
      fc.property(
        stateArb,
        modelArb,
        fc.boolean(),
        fc.string({ maxLength: 12 }),
        (state, model, diff, guest) => {
          const s = snapshotOf(model, state, diff ? 'ab'.repeat(32) : null);
          const a = encodeSnapshot(s, guest);
          expect(encodeSnapshot(s, guest).id).toBe(a.id);
          const back = decodeSnapshot(a.bytes);
          expect(back.guest).toBe(guest);
          expect(back.id).toBe(a.id);
          const { data, ...rest } = back.snapshot;
          const { data: want, ...wantRest } = s;
          expect(rest).toEqual(wantRest);
          expect(same(data, want)).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('refuses any one changed byte and any cut as a SnapshotFileError', () => {
    fc.assert(
      fc.property(
        stateArb,
        modelArb,
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (state, model, at, flip) => {
          const { bytes } = encodeSnapshot(snapshotOf(model, state, null), 'g');
          const bad = Uint8Array.from(bytes);
          bad[at % bad.length] ^= flip;
          expect(() => decodeSnapshot(bad)).toThrow(SnapshotFileError);
          expect(() => decodeSnapshot(bytes.subarray(0, at % bytes.length))).toThrow(SnapshotFileError);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('mergeDiff', () => {
  it('lays the diff over the base as a map of pages would, zero pages left out', () => {
    const schedule = { quantum: Infinity, current: 0, owed: Infinity };
    const vcpus = [{ power: 'on' as const, insns: 5, turns: 1, registers: [] }];
    const state = { arch: 'arm64' as const, instructions: 5, vcpus, schedule, devices: [], console: '' };
    fc.assert(
      fc.property(
        modelArb,
        modelArb,
        fc.array(fc.integer({ min: 0, max: PAGES - 1 }), { maxLength: 4 }),
        (base, diff, zeroed) => {
          const d = new Map(diff);
          for (const p of zeroed) d.set(p, 0); // pages the diff sets back to zeros
          const merged = mergeDiff(snapshotOf(base, state, null), snapshotOf(d, state, 'cd'.repeat(32)));
          const model = new Map([...base, ...d]);
          for (let p = 0; p < PAGES; p++)
            expect(same(pageOf(merged, p), content(model.get(p) ?? 0))).toBe(true);
          expect([...merged.pages]).toEqual(
            [...model.keys()].filter((p) => model.get(p) !== 0).sort((a, b) => a - b),
          );
          expect(merged.base).toBeNull();
        },
      ),
      { numRuns: 100 },
    );
  });
});
