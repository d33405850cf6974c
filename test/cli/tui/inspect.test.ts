// The inspection readers on a real vmspace (the vm tests' rig): client holds and chains, a host
// frame's PV head and PTE locations, pool counters; and they change nothing.
import { describe, expect, it } from 'vitest';
import { gpa } from '../../../mmu/addr.js';
import type { Hfn } from '../../../mmu/addr.js';
import { FORMATS } from '../../../mmu/gpt/formats.js';
import { PROT_READ, PROT_RW } from '../../../mmu/prot.js';
import { PageHold } from '../../../mmu/vm/page-hold.js';
import type { HoldFailure } from '../../../mmu/vm/vm-client.js';
import { clientInfo, frameInfo, poolInfo } from '../../../cli/tui/inspect.js';
import { makeVmRig } from '../../mmu/vm/rig.js';

const P = 4096;
const held = (h: PageHold | HoldFailure): PageHold => {
  if (!(h instanceof PageHold)) throw new Error(`no hold: ${h.kind}`);
  return h;
};

function rig() {
  const r = makeVmRig(FORMATS.ept);
  const obj = r.ram(4, 'ram');
  r.vms.map(obj, gpa(0x10_0000), 4 * P, 0, PROT_RW);
  r.vms.map(obj, gpa(0x20_0000), 4 * P, 0, PROT_RW); // an alias: the same frames twice
  obj.release();
  return { ...r, c: r.vms.createClient('uart') };
}

describe('inspect', () => {
  it('clientInfo lists holds with chains and deferred dirtying', () => {
    const r = rig();
    const a = held(r.c.hold(gpa(0x10_0000), PROT_READ));
    const b = held(r.c.hold(gpa(0x10_1000), PROT_RW, { deferDirty: true }));
    const c = held(r.c.hold(gpa(0x10_2000), PROT_RW));
    held(r.c.hold(gpa(0x10_3000), PROT_READ));
    a.chain(b).chain(c);
    const info = clientInfo(r.c);
    expect(info).toMatchObject({ id: r.c.id, name: 'uart', state: 'IDLE' });
    expect(info.holds.map((h) => [h.gpa, h.prot, h.deferredDirty, h.chain])).toEqual([
      [0x10_0000, PROT_READ, false, 1],
      [0x10_1000, PROT_RW, true, 1],
      [0x10_2000, PROT_RW, false, 1],
      [0x10_3000, PROT_READ, false, undefined],
    ]);
    expect(info.holds[0].hfn).toBe(a.hfn);
    a.releaseChain();
    expect(clientInfo(r.c).holds.map((h) => h.gpa)).toEqual([0x10_3000]);
    r.check();
  });

  it('frameInfo shows every PTE mapping a frame, and poolInfo the counters, without changing state', () => {
    const r = rig();
    const one = held(r.c.hold(gpa(0x10_0000), PROT_RW));
    const f = one.hfn as Hfn;
    let info = frameInfo(r.pmap, f);
    expect(info.headKind).toBe('single');
    expect(info.ptes).toHaveLength(1);
    const two = held(r.c.hold(gpa(0x20_0000), PROT_READ));
    expect(two.hfn).toBe(f);
    const before = r.mem.u32.slice();
    const stats = JSON.stringify([r.pmap.pvStats, r.pool.stats]);
    info = frameInfo(r.pmap, f);
    clientInfo(r.c);
    poolInfo(r.pmap.pvStats, r.pool.stats);
    expect(Buffer.from(r.mem.u32.buffer).equals(Buffer.from(before.buffer))).toBe(true);
    expect(JSON.stringify([r.pmap.pvStats, r.pool.stats])).toBe(stats);
    expect(info.ptes).toHaveLength(2);
    expect(info.headKind).not.toBe('single');
    expect(new Set(info.ptes).size).toBe(2);
    one.release();
    two.release();
    expect(frameInfo(r.pmap, f).attrs).toContain('modified');
    const pools = poolInfo(r.pmap.pvStats, r.pool.stats, { free: r.frames.freeCount, total: 256 });
    expect(pools.tablesInUse).toBe(r.pool.stats.inUse);
    expect(pools.tablesInUse).toBeGreaterThanOrEqual(4);
    expect(pools.pvFree).toBe(r.pmap.pvStats.free);
    expect(pools.hostFramesTotal).toBe(256);
    r.check();
  });
});
