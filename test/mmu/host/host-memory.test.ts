import { describe, expect, it } from 'vitest';
import type { Hfn } from '../../../mmu/addr.js';
import { InvariantError } from '../../../mmu/checks.js';
import { EventLog } from '../../../mmu/events.js';
import type { MmuEvent } from '../../../mmu/events.js';
import { FrameAllocator } from '../../../mmu/host/frame-allocator.js';
import { HostMemory } from '../../../mmu/host/host-memory.js';
import { Reservoir } from '../../../mmu/host/reservoir.js';

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

describe('Reservoir', () => {
  it('hands out all pages or none; exhaustion is a value', () => {
    const frames = new FrameAllocator(new HostMemory(8 * 4096));
    const res = new Reservoir(frames);
    const r = res.reserve(5);
    expect(r.kind).toBe('ok');
    if (r.kind !== 'ok') return;
    expect(r.frames.length).toBe(5);
    expect(new Set(r.frames).size).toBe(5);
    expect(res.reservedCount).toBe(5);
    expect(res.reserve(4)).toEqual({ kind: 'exhausted', wanted: 4, free: 3 });
    expect(frames.freeCount).toBe(3); // nothing taken by the failed request
    res.release(r.frames);
    expect(res.reservedCount).toBe(0);
    expect(frames.freeCount).toBe(8);
    expect(() => res.release(r.frames)).toThrow(InvariantError);
  });

  it('honours a limit below the free frame count', () => {
    const frames = new FrameAllocator(new HostMemory(8 * 4096));
    const res = new Reservoir(frames, undefined, { limit: 2 });
    expect(res.reserve(3)).toEqual({ kind: 'exhausted', wanted: 3, free: 2 });
    expect(res.reserve(2).kind).toBe('ok');
    expect(res.available).toBe(0);
  });

  it('gives zeroed frames', () => {
    const mem = new HostMemory(2 * 4096);
    mem.u8.fill(7);
    const res = new Reservoir(new FrameAllocator(mem));
    const r = res.reserve(2);
    expect(r.kind === 'ok' && mem.u8.every((b) => b === 0)).toBe(true);
  });
});
