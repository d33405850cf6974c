import { describe, expect, it } from 'vitest';
import type { Hfn } from '../../../mmu/addr.js';
import { InvariantError } from '../../../mmu/checks.js';
import { EventLog } from '../../../mmu/events.js';
import type { MmuEvent } from '../../../mmu/events.js';
import { FrameAllocator } from '../../../mmu/host/frame-allocator.js';
import { HostMemory } from '../../../mmu/host/host-memory.js';

describe('FrameAllocator events and purposes', () => {
  it('reports alloc and free, and remembers what each frame is for', () => {
    const log = new EventLog<MmuEvent>();
    const frames = new FrameAllocator(new HostMemory(4 * 4096), log);
    const t = frames.alloc('table') as Hfn;
    const g = frames.alloc('guest') as Hfn;
    expect([frames.purpose(t), frames.purpose(g), frames.purpose(3 as Hfn)]).toEqual([
      'table',
      'guest',
      null,
    ]);
    frames.free(t);
    expect(log.events).toEqual([
      { type: 'frame-alloc', hfn: 0, purpose: 'table' },
      { type: 'frame-alloc', hfn: 1, purpose: 'guest' },
      { type: 'frame-free', hfn: 0 },
    ]);
    expect(frames.freeCount + frames.usedCount).toBe(frames.totalCount);
  });
});

describe('FrameAllocator', () => {
  it('hands out the lowest frames first, zeroed, and reports exhaustion as -1', () => {
    const mem = new HostMemory(3 * 4096);
    mem.u8.fill(0xaa);
    const frames = new FrameAllocator(mem);
    expect(frames.alloc('guest')).toBe(0);
    expect(mem.u8[0]).toBe(0);
    expect(frames.alloc('table')).toBe(1);
    expect(frames.alloc('guest')).toBe(2);
    expect(frames.alloc('guest')).toBe(-1);
    expect(frames.freeCount).toBe(0);
    frames.free(1 as Hfn);
    expect(() => frames.free(1 as Hfn)).toThrow(InvariantError);
    expect(frames.alloc('guest')).toBe(1);
    frames.checkInvariants();
  });
});
