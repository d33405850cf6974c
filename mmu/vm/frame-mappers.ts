/*
 * "Who maps host frame X?", answered from the frame's PV list (mmu/host/pv-head.ts), across every
 * VM of a host.
 *
 *   PV list of f:  pte, pte, ...        each the host-physical address of a leaf entry
 *   pte >>> 12  -> the table frame      its descriptor names the owner (a GPT's ownerId)
 *   owner       -> the vmspace          the VM (vmId), the guest-physical page (gpaOfPte), and
 *                                       the rights the entry grants (protAt)
 *
 * The answer lists the PTEs in the PV list's own order, so the same run gives the same list.
 * A shared frame (same-page merging) may also be used by pages that no PTE maps now (merged while
 * unmapped); those are the book's users (frame-shares.ts), not mappers.
 *
 * Invariant: every PTE on a PV list belongs to a GPT of one of `spaces` (else it throws).
 */
import type { Hfn } from '../addr.js';
import { hfn } from '../addr.js';
import { assert } from '../checks.js';
import type { Pmap } from '../host/pmap.js';
import type { Prot } from '../prot.js';
import type { Vmspace } from './vmspace.js';

/** One PTE that maps a host frame: the VM, the page it translates, where the entry is, its rights. */
export interface FrameMapper {
  vm: number;
  gpa: number;
  pte: number;
  prot: Prot;
}

/** Every PTE that maps host frame f, from f's PV list, each with its VM. */
export function whoMaps(pmap: Pmap, spaces: readonly Vmspace[], f: Hfn): FrameMapper[] {
  const out: FrameMapper[] = [];
  pmap.forEachMapping(f, (pte) => {
    const owner = pmap.descOwner(hfn(pte >>> 12));
    const space = spaces.find((s) => s.gpt.ownerId === owner);
    assert(space !== undefined, `who maps: PTE ${pte} of frame ${f} belongs to no known VM`);
    const gpt = space.gpt;
    out.push({ vm: space.vmId, gpa: gpt.gpaOfPte(pte), pte, prot: gpt.protAt(pte) });
  });
  return out;
}
