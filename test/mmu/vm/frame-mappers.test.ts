/*
 * "Who maps frame X?" from the PV list: after two VMs merge their equal pages, whoMaps names one
 * PTE of each VM for a shared frame (the VM, the guest-physical page, the entry's location, rights
 * without write), in PV-list order; the book's users name the same VMs. A page merged while no
 * leaf maps it uses the frame without being a mapper; a write's copy-on-write break leaves the
 * writer's PTE off the list.
 */
import { describe, expect, it } from 'vitest';
import { gpa, type Hfn } from '../../../mmu/addr.js';
import { PROT_WRITE } from '../../../mmu/prot.js';
import { whoMaps } from '../../../mmu/vm/frame-mappers.js';
import { makeMergeHost } from './merge-rig.js';

describe('who maps a frame', () => {
  it('names the VM, page, entry and rights of every PTE of a shared frame', () => {
    const h = makeMergeHost('ept', 3, 2);
    for (let v = 0; v < 2; v++) {
      h.mem.frameBytes(h.access(v, 1, 'write')).fill(7);
      h.access(v, 1, 'read');
    }
    h.mem.frameBytes(h.vms[2].ram.frameAt(4096) as Hfn).fill(7); // as the loader writes: no PTE yet
    h.scanner.pass(6);
    h.scanner.pass(6);
    h.check();
    const s = h.vms[0].ram.currentFrame(4096) as Hfn;
    expect(h.vms[2].ram.currentFrame(4096)).toBe(s);
    const spaces = h.vms.map((v) => v.space);
    const who = whoMaps(h.pmap, spaces, s);
    expect(who.map((m) => m.vm).sort()).toEqual([0, 1]);
    for (const m of who) {
      expect(m.gpa).toBe(0x1000);
      expect(m.prot & PROT_WRITE).toBe(0);
      expect(h.vms[m.vm].space.gpt.lookup(gpa(0x1000))?.pte).toBe(m.pte);
    }
    expect(
      h.shares
        .usersOf(s)
        .map((u) => u.owner.vm)
        .sort(),
    ).toEqual([0, 1, 2]);
    h.access(1, 1, 'write'); // vm1 breaks its share
    expect(whoMaps(h.pmap, spaces, s).map((m) => m.vm)).toEqual([0]);
    expect(
      h.shares
        .usersOf(s)
        .map((u) => u.owner.vm)
        .sort(),
    ).toEqual([0, 2]);
  });
});
