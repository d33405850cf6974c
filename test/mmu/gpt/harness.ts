/*
 * A small host (memory, frame allocator, pmap, table pool) with one GPT on it, for the GPT tests.
 */
import { hfn } from '../../../mmu/addr.js';
import type { Hfn } from '../../../mmu/addr.js';
import type { EventSink, MmuEvent } from '../../../mmu/events.js';
import { nullSink } from '../../../mmu/events.js';
import type { EntryFormat } from '../../../mmu/gpt/entry-format.js';
import { Gpt } from '../../../mmu/gpt/gpt.js';
import { FrameAllocator } from '../../../mmu/host/frame-allocator.js';
import { HostMemory } from '../../../mmu/host/host-memory.js';
import { Pmap } from '../../../mmu/host/pmap.js';
import { TablePool } from '../../../mmu/host/table-pool.js';

export interface Rig {
  mem: HostMemory;
  frames: FrameAllocator;
  pmap: Pmap;
  pool: TablePool;
  gpt: Gpt;
  /** Guest frames allocated up front, for mapping. */
  guest: Hfn[];
}

export function makeRig(
  format: EntryFormat,
  opts: { frames?: number; guestFrames?: number; reserve?: number; sink?: EventSink<MmuEvent> } = {},
): Rig {
  const mem = new HostMemory((opts.frames ?? 128) * 4096);
  const sink = opts.sink ?? nullSink;
  const frames = new FrameAllocator(mem);
  const guest: Hfn[] = [];
  for (let i = 0; i < (opts.guestFrames ?? 8); i++) {
    const f = frames.alloc('guest');
    if (f === -1) throw new Error('rig: not enough host memory for guest frames');
    guest.push(hfn(f));
  }
  const pmap = new Pmap(mem, sink);
  const pool = new TablePool(frames, pmap, { reserve: opts.reserve ?? 0, sink });
  const gpt = new Gpt(format, mem, pmap, pool, sink);
  return { mem, frames, pmap, pool, gpt, guest };
}
