/*
 * nestvm-dma against a reference model, with random operation sequences (fast-check): fills,
 * copies and sums of random ranges that may start or run into the holes around guest RAM or the
 * engine's own page, with dirty-log harvests in between. The model is a plain byte array of guest
 * RAM, walked one byte at a time; after every step the engine's registers, the hold counters and
 * the harvested dirty pages must agree with it, and at the end guest memory and the vmspace's
 * invariants (the suite's full checks also sweep after every mutation).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PAGE_SIZE } from '../../../mmu/addr.js';
import {
  DMA_BASE_ARM64,
  DMA_OP_COPY,
  DMA_OP_FILL,
  DMA_OP_SUM,
  DMA_REG,
  DMA_STATUS_DEVICE,
  DMA_STATUS_DONE,
  DMA_STATUS_ERROR,
  DMA_STATUS_HOLE,
} from '../../../emulator/devices/dma.js';
import { DmaRig, RAM, RAM_BYTES, RAM_END } from './dma-rig.js';

type Step =
  { kind: 'op'; op: number; src: number; dst: number; len: number; value: number } | { kind: 'harvest' };

const pageOf = (a: number): number => a - (a % PAGE_SIZE);
const inRam = (a: number): boolean => a >= RAM && a < RAM_END;

/* Addresses around RAM: mostly inside, some in the holes on either side, some on the engine. */
const addr = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: RAM, max: RAM_END - 1 }) },
  { weight: 1, arbitrary: fc.integer({ min: RAM - 2 * PAGE_SIZE, max: RAM - 1 }) },
  { weight: 1, arbitrary: fc.integer({ min: RAM_END - PAGE_SIZE, max: RAM_END + PAGE_SIZE }) },
  { weight: 1, arbitrary: fc.integer({ min: DMA_BASE_ARM64, max: DMA_BASE_ARM64 + 0xff }) },
);
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('op' as const),
      op: fc.constantFrom(DMA_OP_COPY, DMA_OP_FILL, DMA_OP_SUM),
      src: addr,
      dst: addr,
      len: fc.integer({ min: 0, max: 3 * PAGE_SIZE }),
      value: fc.integer({ min: 0, max: 0xff }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'harvest' as const }) },
);

interface ModelResult {
  status: number;
  done: number;
  sum: number;
  fault: number;
  holds: number;
}

/* One operation on the model, byte by byte (a new page is checked when the walk enters it). */
function modelOp(mem: Uint8Array, dirty: Set<number>, s: Extract<Step, { kind: 'op' }>): ModelResult {
  const reads = s.op !== DMA_OP_FILL;
  const writes = s.op !== DMA_OP_SUM;
  let srcPage = -1;
  let dstPage = -1;
  let holds = 0;
  let sum = 0;
  const fail = (page: number, done: number): ModelResult => ({
    status: DMA_STATUS_ERROR | (pageOf(page) === DMA_BASE_ARM64 ? DMA_STATUS_DEVICE : DMA_STATUS_HOLE),
    done,
    sum,
    fault: page,
    holds,
  });
  for (let i = 0; i < s.len; i++) {
    const a = s.src + i;
    const d = s.dst + i;
    if (reads && pageOf(a) !== srcPage) {
      if (!inRam(a)) return fail(pageOf(a), i);
      srcPage = pageOf(a);
      holds++;
    }
    if (writes && pageOf(d) !== dstPage) {
      if (!inRam(d)) return fail(pageOf(d), i);
      dstPage = pageOf(d);
      holds++;
    }
    const byte = s.op === DMA_OP_FILL ? s.value : mem[a - RAM];
    if (reads) sum = (sum + byte) >>> 0;
    if (writes) {
      mem[d - RAM] = byte;
      dirty.add(pageOf(d));
    }
  }
  return { status: DMA_STATUS_DONE, done: s.len, sum, fault: 0, holds };
}

const overlapping = (s: Extract<Step, { kind: 'op' }>): boolean =>
  s.op === DMA_OP_COPY && s.src < s.dst + s.len && s.dst < s.src + s.len;

describe('nestvm-dma (property)', () => {
  it('matches a byte-by-byte model of guest RAM, holds and the dirty log', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 20 }), (steps) => {
        const rig = new DmaRig();
        const mem = new Uint8Array(RAM_BYTES);
        const seed = Uint8Array.from({ length: RAM_BYTES }, (_, i) => (i * 131 + (i >>> 12)) & 0xff);
        rig.poke(RAM, seed);
        mem.set(seed);
        let dirty = new Set<number>();
        let taken = 0;
        for (const s of steps) {
          if (s.kind === 'harvest') {
            expect(rig.harvest()).toEqual([...dirty].sort((x, y) => x - y));
            dirty = new Set();
            continue;
          }
          if (overlapping(s)) continue; // overlapping copies are not part of the contract
          const want = modelOp(mem, dirty, s);
          const status = rig.run(s.op, s);
          expect({
            status,
            done: rig.dma.reg(DMA_REG.DONE),
            sum: rig.dma.reg(DMA_REG.RESULT),
            fault: rig.dma.reg(DMA_REG.FAULT),
            holds: rig.dma.reg(DMA_REG.HOLDS),
          }).toEqual({ ...want, sum: s.op === DMA_OP_FILL ? 0 : want.sum });
          taken += want.holds;
          expect(rig.holdsCounters()).toEqual({ taken, released: taken, outstanding: 0 });
          expect(rig.vm.deviceClient.holds()).toEqual([]);
        }
        rig.vm.vmspace.checkInvariants();
        const got = rig.peek(RAM, RAM_BYTES);
        expect(got.findIndex((b, i) => b !== mem[i])).toBe(-1); // (toEqual on 64 KiB is slow)
        expect(rig.harvest()).toEqual([...dirty].sort((x, y) => x - y));
      }),
      { numRuns: 50 },
    );
  });
});
