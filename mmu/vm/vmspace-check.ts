/*
 * The vmspace's own invariant sweep (the GPT and the pmap sweep themselves), run by tests and under
 * NESTVM_CHECKS=full after every mutation:
 *
 *  - every present leaf inside a mapping maps the frame its object holds for that page, with at
 *    least the mapping's rights, less what a debugger withheld on the page (restrictPage) and
 *    less write on a merged page (a shared frame: frame-shares.ts), which never grants write;
 *  - no present leaf lies outside every mapping (their count is the vmspace's residentCount);
 *  - the hold counters agree (taken - released = outstanding), and the clients hold no more
 *    pages than are counted outstanding.
 */
import { hex } from '../addr.js';
import { assert, broken } from '../checks.js';
import type { Gpt } from '../gpt/gpt.js';
import type { HostMemory } from '../host/host-memory.js';
import type { Prot } from '../prot.js';
import { PROT_ALL, PROT_WRITE } from '../prot.js';
import type { VmClient } from './vm-client.js';
import type { VmCounters } from './vm-counters.js';
import { objectOffset, type MappingList } from './vm-mapping.js';

export interface VmspaceParts {
  readonly maps: MappingList;
  readonly gpt: Gpt;
  readonly mem: HostMemory;
  readonly restricted: ReadonlyMap<number, Prot>;
  readonly resident: number;
  readonly clients: readonly VmClient[];
  readonly holds: VmCounters['holds'];
}

export function checkMappings(v: VmspaceParts): void {
  v.maps.checkInvariants();
  const f = v.gpt.format;
  const u32 = v.mem.u32;
  let present = 0;
  for (const m of v.maps.all()) {
    const it = v.gpt.iterate(m.gpa, m.len);
    while (it.next()) {
      const lo = u32[it.pte >>> 2];
      const hi = u32[(it.pte >>> 2) + 1];
      if (!f.isPresent(lo, hi)) continue;
      present++;
      if (f.frameOf(lo, hi) !== m.object.currentFrame(objectOffset(m, it.gpa)))
        broken(`vmspace: leaf at ${hex(it.gpa)} maps a frame that is not its object's`);
      const off = objectOffset(m, it.gpa);
      const shared = m.object.isSharedAt(off);
      const want = m.prot & (v.restricted.get(it.gpa) ?? PROT_ALL) & (shared ? ~PROT_WRITE : PROT_ALL);
      if (shared && (f.protOf(lo, hi) & PROT_WRITE) !== 0)
        broken(`vmspace: merged page ${hex(it.gpa)} is writable`);
      if ((f.protOf(lo, hi) & want) !== want)
        broken(`vmspace: leaf at ${hex(it.gpa)} lacks its mapping's rights`);
    }
  }
  assert(present === v.resident, 'vmspace: a present leaf lies outside every mapping');
  let held = 0;
  for (const c of v.clients) held += c.holds().length;
  const h = v.holds;
  assert(h.taken - h.released === h.outstanding, 'vmspace: hold counters disagree');
  assert(held <= h.outstanding, 'vmspace: clients hold more pages than counted');
}
