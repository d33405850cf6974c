/*
 * The footprint figures and the least host memory follow from the geometry: fetch and data pages
 * per architecture, three guest-table levels per walk below the shared roots, one leaf table per
 * page but never more than the mappings populate, and never below the table pool's own minimum.
 */
import { describe, expect, it } from 'vitest';
import {
  FAULT_STORM_LIMIT,
  hostMinimum,
  instructionFootprint,
  minimumText,
} from '../../emulator/instruction-footprint.js';
import { Machine } from '../../emulator/machine.js';
import { loadGuest } from '../../emulator/loaders/index.js';
import { PAGE_SIZE } from '../../mmu/addr.js';

describe('instruction footprint', () => {
  it('x86-64: 2 fetch + 4 data pages, 1 + 3 x 6 table pages; arm64: 1 + 2, 2 + 3 x 3', () => {
    expect(instructionFootprint('x86_64')).toEqual({ fetch: 2, data: 4, tablePages: 19, pages: 25 });
    expect(instructionFootprint('arm64')).toEqual({ fetch: 1, data: 2, tablePages: 11, pages: 14 });
    expect(FAULT_STORM_LIMIT).toBe(100);
  });

  it('needs one leaf table per page, no more than the mappings have, and at least the pool minimum', () => {
    const big = hostMinimum('x86_64', 1 << 30, { interior: 5, leafTables: 513 }, 5);
    expect(big).toMatchObject({ tableFrames: 30, leafTables: 25, bytes: (1 << 30) + 30 * PAGE_SIZE });
    const small = hostMinimum('arm64', 1 << 20, { interior: 4, leafTables: 3 }, 5);
    expect(small).toMatchObject({ tableFrames: 7, leafTables: 3 });
    expect(hostMinimum('arm64', 1 << 20, { interior: 1, leafTables: 1 }, 5).tableFrames).toBe(5);
    expect(minimumText(123, 1 << 20, small)).toMatch(
      /--host-mem 123 is too small: .* at least 1077248 \(guest RAM 1048576 \+ 7 page-table frames: 4 interior tables and 3 leaf tables for the 14 pages/,
    );
  });

  it.each([
    ['x86_64', 16, 4, 9], // RAM's 8 leaf tables and the DMA window's, under L4, L3 and two L2s
    ['x86_64', 64, 4, 25],
    ['arm64', 16, 4, 9], // PL011 and DMA share one leaf table and one L2; RAM is 1 GiB up
  ] as const)(
    'a %s machine with %d MiB: %d interior tables, %d leaf tables',
    async (arch, mib, interior, leaves) => {
      const memBytes = mib << 20;
      const image = await loadGuest(`guests/${arch}/hello.s`, { memBytes });
      const m = new Machine(image, { memBytes });
      const least = m.vm!.hostMinimum();
      m.close();
      expect(least.interior).toBe(interior);
      expect(least.leafTables).toBe(leaves);
      expect(least.bytes).toBe(memBytes + (interior + leaves) * PAGE_SIZE);
    },
  );
});
