/*
 * The swap store against a Map model: random puts, gets, drops and object drops over a few objects
 * and pages. After every step the store holds exactly the model's pages with the model's bytes,
 * and its own sweep (slots held once or free, chunks) passes.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvariantError } from '../../../mmu/checks.js';
import { SwapStore } from '../../../mmu/host/swap-store.js';

const PAGE = 4096;
const pageOf = (seed: number): Uint8Array => {
  const p = new Uint8Array(PAGE);
  for (let i = 0; i < PAGE; i += 97) p[i] = (seed + i) & 0xff;
  p[PAGE - 1] = seed & 0xff;
  return p;
};

/* Byte-exact page comparison without the cost of a deep-equality diff per byte. */
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

describe('SwapStore against a model', () => {
  it('put, get (copy kept), drop, dropObject', () => {
    const op = fc.tuple(fc.nat(9), fc.nat(3), fc.nat(150), fc.nat(255));
    fc.assert(
      fc.property(fc.array(op, { minLength: 20, maxLength: 300 }), (ops) => {
        const store = new SwapStore();
        const tally = { swapCopies: 5 }; // another store of the same host holds five
        store.attach(tally);
        const model = new Map<string, number>(); // "obj:page" -> seed of its bytes
        const out = new Uint8Array(PAGE);
        for (const [kind, obj, page, seed] of ops) {
          const k = `${obj}:${page}`;
          if (kind <= 4) {
            store.put(obj, page, pageOf(seed));
            model.set(k, seed);
          } else if (kind <= 7) {
            const got = store.get(obj, page, out);
            expect(got).toBe(model.has(k));
            if (got && !same(out, pageOf(model.get(k)!))) throw new Error(`page ${k} read back wrong`);
          } else if (kind === 8) {
            expect(store.drop(obj, page)).toBe(model.delete(k));
          } else {
            let want = 0;
            for (const key of [...model.keys()])
              if (key.startsWith(`${obj}:`)) {
                model.delete(key);
                want++;
              }
            expect(store.dropObject(obj)).toBe(want);
          }
          expect(store.pages).toBe(model.size);
          expect(tally.swapCopies).toBe(5 + model.size);
          for (const key of model.keys()) {
            const [o, p] = key.split(':').map(Number);
            expect(store.has(o, p)).toBe(true);
          }
          store.checkInvariants();
        }
        // every held page still reads back its last put
        for (const [key, seed] of model) {
          const [o, p] = key.split(':').map(Number);
          expect(store.get(o, p, out)).toBe(true);
          expect(same(out, pageOf(seed))).toBe(true);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('adds the pages it holds already to a tally it is attached to, and refuses a second tally', () => {
    const store = new SwapStore();
    store.put(1, 0, pageOf(0));
    store.put(1, 1, pageOf(1));
    const tally = { swapCopies: 0 };
    store.attach(tally);
    store.attach(tally); // the same one again: nothing counted twice
    expect(tally.swapCopies).toBe(2);
    expect(() => store.attach({ swapCopies: 0 })).toThrow(InvariantError);
    store.dropObject(1);
    expect(tally.swapCopies).toBe(0);
  });

  it('reuses freed slots before making new ones, and refuses bad keys and sizes', () => {
    const store = new SwapStore();
    for (let p = 0; p < 70; p++) store.put(1, p, pageOf(p));
    const bytes = store.bytes;
    expect(bytes).toBe(2 * 64 * PAGE);
    for (let p = 0; p < 70; p++) store.drop(1, p);
    for (let p = 0; p < 70; p++) store.put(2, p, pageOf(p));
    expect(store.bytes).toBe(bytes);
    expect(store.writes).toBe(140);
    expect(() => store.put(-1, 0, pageOf(0))).toThrow(InvariantError);
    expect(() => store.put(1, 0.5, pageOf(0))).toThrow(InvariantError);
    expect(() => store.put(1, 0, new Uint8Array(10))).toThrow(InvariantError);
  });
});
