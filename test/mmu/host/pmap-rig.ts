/*
 * Shared rig for the pmap unit tests: one owner, one leaf table T, guest frames G and H.
 */

import { gpa } from '../../../mmu/addr.js';
import type { Hfn } from '../../../mmu/addr.js';
import { EventLog } from '../../../mmu/events.js';
import type { MmuEvent } from '../../../mmu/events.js';
import { FrameAllocator } from '../../../mmu/host/frame-allocator.js';
import { HostMemory } from '../../../mmu/host/host-memory.js';
import { Pmap } from '../../../mmu/host/pmap.js';
import { FakeOwner } from './fake-owner.js';

/* A pmap with one owner and one leaf table at frame T; guest frames G, H. */
export function setup() {
  const mem = new HostMemory(64 * 4096);
  const log = new EventLog<MmuEvent>();
  const frames = new FrameAllocator(mem);
  const pmap = new Pmap(mem, log, { pv: { batch: 4, lowWater: 4, initialCapacity: 8 } });
  const owner = new FakeOwner(pmap);
  const T = frames.alloc('table') as Hfn;
  pmap.setDescriptor(T, owner.ownerId, 1, gpa(0));
  const G = frames.alloc('guest') as Hfn;
  const H = frames.alloc('guest') as Hfn;
  const pte = (i: number) => owner.pteOf(T, i);
  const check = () => pmap.checkInvariants(frames);
  return { mem, log, frames, pmap, owner, T, G, H, pte, check };
}

export const kinds = (log: EventLog<MmuEvent>, type: MmuEvent['type']) =>
  log.events.filter((e) => e.type === type);
