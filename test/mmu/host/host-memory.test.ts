import { describe, expect, it } from 'vitest';
import type { Hfn } from '../../../mmu/addr.js';
import { InvariantError } from '../../../mmu/checks.js';
import { HostMemory } from '../../../mmu/host/host-memory.js';

describe('HostMemory', () => {
  it('is one buffer seen as bytes and 32-bit words, cut in 4 KiB frames', () => {
    const mem = new HostMemory(16 * 4096);
    expect(mem.frameCount).toBe(16);
    expect(mem.u8.buffer).toBe(mem.buffer);
    expect(mem.u32.buffer).toBe(mem.buffer);
    mem.u32[(3 * 4096 + 8) >>> 2] = 0xdeadbeef;
    expect(mem.frameBytes(3 as Hfn)[8]).toBe(0xef); // little-endian, same bytes
    mem.zeroFrame(3 as Hfn);
    expect(mem.u32[(3 * 4096 + 8) >>> 2]).toBe(0);
    expect(mem.isRam(16 as Hfn)).toBe(false);
  });

  it('rejects sizes that are not whole frames or reach 4 GiB', () => {
    expect(() => new HostMemory(4096 + 1)).toThrow(InvariantError);
    expect(() => new HostMemory(0)).toThrow(InvariantError);
    expect(() => new HostMemory(2 ** 32)).toThrow(InvariantError);
  });
});
