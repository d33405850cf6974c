import { describe, expect, it } from 'vitest';
import { InvariantError } from '../../../mmu/checks.js';
import { FrameAllocator } from '../../../mmu/host/frame-allocator.js';
import { HostMemory } from '../../../mmu/host/host-memory.js';
import { Reservoir } from '../../../mmu/host/reservoir.js';

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
