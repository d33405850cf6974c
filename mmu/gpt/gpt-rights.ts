/*
 * Changing the rights of one present leaf in place: what a hypervisor does to watch guest memory
 * (DRAKVUF's and other introspection tools' "EPT hooks"). The leaf keeps its frame and memory
 * type; only the right bits change, so a later access that needs a withheld right is a nested
 * fault, which the hypervisor sees before the access happens.
 *
 *   before  leaf(frame, R|W|X, mt) + A (+ D)
 *   after   leaf(frame, keep,  mt) + A (+ D when the format can still express it)
 *
 * Accessed is kept. Dirty is kept when the narrowed entry can still hold it; arm64 stage-2 keeps
 * Dirty in its write permission (S2AP bit 7), so a page whose write right is withheld loses it
 * from the entry, and the page is recorded as lost-dirty in its leaf table instead: the next
 * dirty-log harvest still reports the write the guest made (gpt-tables.ts noteLostDirty). The
 * formats normalise rights they cannot express (EPT: no write without read; nPT: read whenever
 * present; stage-2 as nestvm builds it: read always): the caller reads back what the entry grants
 * now, and clears the leaf where that is more than it asked.
 *
 * The caller moves the vmspace generation when rights were taken (vmspace.ts restrictPage): a
 * cached translation may carry them. Invariants: nothing but the right bits and the Dirty state
 * described above changes; every entry write goes through the pmap (updateLeaf).
 */
import type { Gpa } from '../addr.js';
import type { Prot } from '../prot.js';
import { newWords } from './entry-format.js';
import { indexOfPte } from './gpt-geometry.js';
import type { Gpt } from './gpt.js';
import { NO_ENTRY } from './gpt-walk.js';

const scratch = newWords();
const withAd = newWords();

/**
 * Rewrite gpa's present leaf with rights `prot`: the rights it grants now (which may be more than
 * asked, see the essay), 0 for prot 0 (nothing is written: a leaf that grants nothing is not
 * present, so the caller clears it), or null when no leaf is present.
 */
export function setLeafRights(gpt: Gpt, gpa: Gpa, prot: Prot): Prot | null {
  const pte = gpt.leafPte(gpa);
  if (pte === NO_ENTRY) return null;
  const f = gpt.format;
  const u32 = gpt.mem.u32;
  const lo = u32[pte >>> 2];
  const hi = u32[(pte >>> 2) + 1];
  if (!f.isPresent(lo, hi)) return null;
  if (prot === 0) return 0; // no entry that grants nothing is present: the caller clears the leaf
  f.leaf(scratch, f.frameOf(lo, hi), prot, f.memTypeOf(lo, hi));
  let { lo: nlo, hi: nhi } = scratch;
  if (f.isAccessed(lo, hi)) {
    f.setAccessed(withAd, nlo, nhi);
    ({ lo: nlo, hi: nhi } = withAd);
  }
  if (f.isDirty(lo, hi)) {
    f.setDirty(withAd, nlo, nhi);
    ({ lo: nlo, hi: nhi } = withAd);
    if (!f.isDirty(nlo, nhi)) {
      const node = gpt.tables.nodeOfFrame(pte >>> 12)!;
      gpt.tables.noteLostDirty(node, indexOfPte(pte));
    }
  }
  if (nlo !== lo || nhi !== hi) gpt.pmap.updateLeaf(pte, nlo, nhi);
  return f.protOf(nlo, nhi);
}
