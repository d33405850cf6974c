/*
 * Host-layer benchmarks (mmu/host), without event sinks and without full checks:
 *
 *   single      installLeaf + clearLeaf pairs where every frame has one mapping (PV head SINGLE):
 *               the path every GPT map/unmap takes
 *   list        the same with every frame already mapped twice, so each pair converts nothing but
 *               walks and edits a two-entry PV list (enter into a fresh entry, remove, free)
 *   disconnect  frames mapped at 4 PTE locations each, disconnected through the owner callback
 *   table pool  alloc + free pairs (descriptor set and cleared, frame cached and reused)
 *
 * The leaf encoding is a dummy (the host never decodes entries). Run: node --import tsx bench/host-pmap.ts
 */

import { gpa, hpa } from '../mmu/addr.js';
import type { Hfn, Hpa } from '../mmu/addr.js';
import { setFullChecks } from '../mmu/checks.js';
import { FrameAllocator } from '../mmu/host/frame-allocator.js';
import { HostMemory } from '../mmu/host/host-memory.js';
import { Pmap } from '../mmu/host/pmap.js';
import { TablePool } from '../mmu/host/table-pool.js';

setFullChecks(false);

const TABLES = 64;
const GUESTS = 4096;

function rig() {
  const mem = new HostMemory(64 * 1024 * 1024);
  const frames = new FrameAllocator(mem);
  const pmap = new Pmap(mem);
  const pool = new TablePool(frames, pmap);
  const leafFrame = new Map<number, number>();
  const owner = {
    clearLeafEntry: (pte: Hpa) => pmap.clearLeaf(pte, leafFrame.get(pte) as Hfn),
    stealLeafTable: () => 0,
    validCount: (t: Hfn) => pmap.leafCount(t),
  };
  const id = pmap.registerOwner(owner);
  const tables: number[] = [];
  for (let i = 0; i < TABLES; i++) tables.push(pool.alloc(id, 1, gpa(i * 0x20_0000)) as number);
  const guests: number[] = [];
  for (let i = 0; i < GUESTS; i++) guests.push(frames.alloc('guest') as number);
  return { pmap, pool, id, tables, guests, leafFrame };
}

function rate(n: number, fn: () => void): number {
  fn(); // warm-up
  const rounds: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    fn();
    rounds.push(n / ((performance.now() - t0) / 1000));
  }
  return rounds.sort((a, b) => a - b)[1];
}

const fmt = (r: number): string => `${(r / 1e6).toFixed(2)} M/s`;

function benchSingle(): number {
  const { pmap, tables, guests } = rig();
  const n = TABLES * 512;
  return rate(n * 4, () => {
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < n; i++) {
        const pte = hpa(tables[i >>> 9] * 4096 + (i & 511) * 8);
        pmap.installLeaf(pte, 0x1001, 0, guests[i % GUESTS] as Hfn);
      }
      for (let i = 0; i < n; i++) {
        const pte = hpa(tables[i >>> 9] * 4096 + (i & 511) * 8);
        pmap.clearLeaf(pte, guests[i % GUESTS] as Hfn);
      }
    }
  });
}

function benchList(): number {
  const { pmap, tables, guests } = rig();
  // the first 2 * GUESTS entries keep every guest frame mapped twice
  const base = 2 * GUESTS;
  for (let i = 0; i < base; i++)
    pmap.installLeaf(hpa(tables[i >>> 9] * 4096 + (i & 511) * 8), 0x1001, 0, guests[i % GUESTS] as Hfn);
  const n = TABLES * 512 - base;
  return rate(n * 4, () => {
    for (let round = 0; round < 4; round++) {
      for (let i = base; i < base + n; i++)
        pmap.installLeaf(hpa(tables[i >>> 9] * 4096 + (i & 511) * 8), 0x1001, 0, guests[i % GUESTS] as Hfn);
      for (let i = base; i < base + n; i++)
        pmap.clearLeaf(hpa(tables[i >>> 9] * 4096 + (i & 511) * 8), guests[i % GUESTS] as Hfn);
    }
  });
}

function benchDisconnect(): number {
  const { pmap, tables, guests, leafFrame } = rig();
  const frameCount = GUESTS;
  const n = frameCount * 4;
  return rate(n, () => {
    for (let i = 0; i < n; i++) {
      const pte = tables[i >>> 9] * 4096 + (i & 511) * 8;
      leafFrame.set(pte, guests[i % frameCount]);
      pmap.installLeaf(hpa(pte), 0x1001, 0, guests[i % frameCount] as Hfn);
    }
    for (let f = 0; f < frameCount; f++) pmap.disconnect(guests[f] as Hfn);
  });
}

function benchPool(): number {
  const { pool, id } = rig();
  const n = 100_000;
  return rate(n, () => {
    for (let i = 0; i < n; i++) pool.free(pool.alloc(id, 1, gpa(0)) as Hfn);
  });
}

console.log('host benchmarks (median of 3 rounds after a warm-up)');
console.log(`installLeaf+clearLeaf, single heads : ${fmt(benchSingle())} pairs`);
console.log(`installLeaf+clearLeaf, 2-entry lists: ${fmt(benchList())} pairs`);
console.log(`disconnect (4 mappings per frame)   : ${fmt(benchDisconnect())} PTEs cleared`);
console.log(`table pool alloc+free               : ${fmt(benchPool())} pairs`);
