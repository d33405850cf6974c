/*
 * A host with several vmspaces on it (one host RAM, pmap, table pool, reservoir and book of shared
 * frames), each with a memory object of `pages` pages mapped at guest-physical 0, and the merge
 * scanner over all of them; plus the fill path's access, as the merge tests use it.
 */
import { gpa, type Gpa, type Hfn } from '../../../mmu/addr.js';
import type { FormatName } from '../../../mmu/gpt/entry-format.js';
import { FORMATS } from '../../../mmu/gpt/formats.js';
import { newTranslatedLeaf } from '../../../mmu/gpt/gpt-walk.js';
import { FrameAllocator } from '../../../mmu/host/frame-allocator.js';
import { HostMemory } from '../../../mmu/host/host-memory.js';
import { Pmap } from '../../../mmu/host/pmap.js';
import { Reservoir } from '../../../mmu/host/reservoir.js';
import { TablePool } from '../../../mmu/host/table-pool.js';
import { PROT_ALL, type AccessKind } from '../../../mmu/prot.js';
import { FrameShares } from '../../../mmu/vm/frame-shares.js';
import { MergeScanner } from '../../../mmu/vm/merge-scan.js';
import { VmObject } from '../../../mmu/vm/vm-object.js';
import { Vmspace } from '../../../mmu/vm/vmspace.js';

export interface MergeVm {
  space: Vmspace;
  ram: VmObject;
}

export function makeMergeHost(format: FormatName, vmCount: number, pages: number) {
  const mem = new HostMemory((vmCount * pages + 16 * vmCount) * 4096);
  const frames = new FrameAllocator(mem, undefined, { zeroed: true });
  const pmap = new Pmap(mem);
  const reservoir = new Reservoir(frames);
  const pool = new TablePool(frames, pmap, { reserve: 0 });
  const shares = new FrameShares(mem.frameCount, reservoir);
  const vms: MergeVm[] = [];
  for (let i = 0; i < vmCount; i++) {
    const space = new Vmspace({ format: FORMATS[format], mem, pmap, pool, vmId: i });
    const ram = VmObject.memory(reservoir, pages * 4096, { name: `vm${i}`, pmap, shares, vm: i });
    if (!(ram instanceof VmObject)) throw new Error('merge rig: reservoir short');
    space.map(ram, gpa(0), pages * 4096, 0, PROT_ALL);
    vms.push({ space, ram });
  }
  const scanner = new MergeScanner(
    vms.map((v) => ({ space: v.space, gpa: gpa(0), pages })),
    shares,
    mem,
  );
  const leaf = newTranslatedLeaf();
  return {
    mem,
    frames,
    pmap,
    reservoir,
    pool,
    shares,
    vms,
    scanner,
    /** The fill path: a miss is a nested fault, then the access hits; returns the frame used. */
    access(vm: number, page: number, kind: AccessKind): Hfn {
      const { space } = vms[vm];
      const g = (page * 4096) as Gpa;
      if (space.gpt.translate(g, kind, leaf) < 0) {
        const r = space.fault(g, kind);
        if (r.kind !== 'mapped') throw new Error(`merge rig: fault answered ${r.kind}`);
        if (space.gpt.translate(g, kind, leaf) < 0) throw new Error('merge rig: miss after the fault');
      }
      space.gpt.markAccessed(leaf.pte, kind === 'write');
      return leaf.frame;
    },
    /** Which VM owns the table holding PTE location pte. */
    vmOfPte(pte: number): number {
      return vms.findIndex((v) => v.space.gpt.ownerId === pmap.descOwner((pte >>> 12) as Hfn));
    },
    check(): void {
      for (const v of vms) if (!v.space.isDestroyed) v.space.checkInvariants();
      pmap.checkInvariants(frames);
      pool.checkInvariants();
      reservoir.checkInvariants();
      shares.checkInvariants();
    },
  };
}

export type MergeHost = ReturnType<typeof makeMergeHost>;
