// Reference solution of lab `merge` (kept in test/ only: `lab start` never copies it).
//
// A scanner in the manner of Linux KSM, on the host's merge kit: a cursor over every VM's RAM
// pages; a page is hashed with host.hash and compared word by word before it joins anything.
//   stable    hash -> frames shared now (pruned when a frame stops being shared)
//   unstable  hash -> a page seen this round, not merged yet (emptied at every wrap)
//   last      per VM, per page: its hash at the last look; only a page that kept its hash is
//             paired in the unstable set (a page the guest keeps writing is not merged)
// Merging a page rewrites its leaf, if it has one, onto the shared frame without write and moves
// the PTE from the old frame's PV list to the shared frame's. A write fault gives the page a
// frame of its own (host.unshare copies) and moves the leaf and its PV entry back, with write.

const PAGE = 4096;

/** @param {import('nestvm').MergeKit} host */
export function createMerger(host) {
  const stable = new Map();
  const unstable = new Map();
  const last = Array.from({ length: host.vms }, (_, vm) => new Array(host.ramPages(vm)).fill(-1));
  const total = last.reduce((n, pages) => n + pages.length, 0);
  let vm = 0;
  let index = 0;

  function same(a, b) {
    const x = host.words(a);
    const y = host.words(b);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
    return true;
  }

  function remap(v, gpa, shared) {
    const leaf = host.leaf(v, gpa);
    if (leaf !== null) {
      host.writeLeaf(v, gpa, shared, false);
      if (leaf.frame !== shared) {
        host.pvRemove(leaf.frame, leaf.pte);
        host.pvEnter(shared, leaf.pte);
      }
    }
    host.share(v, gpa, shared);
  }

  function stableMatch(h, f) {
    const list = (stable.get(h) ?? []).filter((s) => host.isShared(s));
    if (list.length === 0) stable.delete(h);
    else stable.set(h, list);
    return list.find((s) => same(f, s)) ?? -1;
  }

  // One page: the pages that joined a shared frame, or -1 when it is no candidate.
  function visit(v, i) {
    const gpa = host.ramBase(v) + i * PAGE;
    const f = host.candidate(v, gpa);
    if (f === -1) return -1;
    const h = host.hash(f);
    const s = stableMatch(h, f);
    if (s !== -1) {
      remap(v, gpa, s);
      return 1;
    }
    const steady = last[v][i] === h;
    last[v][i] = h;
    if (!steady) return 0;
    const seen = unstable.get(h);
    if (seen !== undefined && !(seen.vm === v && seen.gpa === gpa)) {
      const g = host.candidate(seen.vm, seen.gpa);
      if (g !== -1 && same(f, g)) {
        remap(seen.vm, seen.gpa, g); // the keeper: its own frame becomes the shared one
        remap(v, gpa, g);
        unstable.delete(h);
        stable.set(h, [...(stable.get(h) ?? []), g]);
        return 2;
      }
    }
    unstable.set(h, { vm: v, gpa });
    return 0;
  }

  return {
    pass(pages) {
      let merged = 0;
      let looked = 0;
      for (let n = 0; n < total && looked < pages; n++) {
        const joined = visit(vm, index);
        if (joined >= 0) {
          looked++;
          merged += joined;
        }
        if (++index === host.ramPages(vm)) {
          index = 0;
          vm = (vm + 1) % host.vms;
          if (vm === 0) unstable.clear(); // a new round: what was seen may have changed
        }
      }
      return merged;
    },

    writeFault(v, gpa) {
      const leaf = host.leaf(v, gpa);
      const own = host.unshare(v, gpa);
      if (own === -1) return; // no frame left: the fault reports it
      if (leaf !== null) {
        host.writeLeaf(v, gpa, own, true);
        host.pvRemove(leaf.frame, leaf.pte);
        host.pvEnter(own, leaf.pte);
      }
    },
  };
}
