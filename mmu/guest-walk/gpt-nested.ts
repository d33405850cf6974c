/*
 * The real nested page table (mmu/gpt) seen as a NestedWalker, for the two-dimensional walk.
 *
 * The GPT's own walk (gpt-walk.ts) reads entries from host RAM as the hardware would and records
 * where the entry of each level lives. This adapter turns that path into NestedSteps: for each level
 * from the root down, the entry's host-physical location, its two halves and the format's named
 * bits (EPT, nPT or stage-2 decode()). The walk stops at the first entry that is not present; a
 * present leaf that does not grant the access is a 'rights' fault at level 1.
 *
 * Display only: it allocates per call and sets no Accessed/Dirty bit (the fill hook does that
 * through the Gpt). Guest-physical addresses beyond what the GPT covers are not its concern: the
 * walk simply finds no entry.
 */

import { hpa, type Gpa } from '../addr.js';
import type { EntryFormat } from '../gpt/entry-format.js';
import { NO_ENTRY, newWalkPath, walk } from '../gpt/gpt-walk.js';
import { accessProt, type AccessKind } from '../prot.js';
import type { NestedStep, NestedWalk, NestedWalker } from './guest-phys.js';

/** What the adapter needs of a Gpt (the Gpt class satisfies it). */
export interface GptView {
  readonly format: EntryFormat;
  readonly mem: { readonly u32: Uint32Array };
  readonly rootFrame: number;
}

const ROOT = 4;

export function gptNestedWalker(gpt: GptView): NestedWalker {
  return {
    walk(gpa: Gpa, access: AccessKind): NestedWalk {
      const u32 = gpt.mem.u32;
      const fmt = gpt.format;
      const path = newWalkPath();
      walk(u32, fmt, gpt.rootFrame, gpa, path);
      const steps: NestedStep[] = [];
      for (let level = ROOT; level >= 1; level--) {
        const pte = path[level];
        if (pte === NO_ENTRY) return { steps, fault: { reason: 'not-present', level: level + 1 } };
        const lo = u32[pte / 4] >>> 0;
        const hi = u32[pte / 4 + 1] >>> 0;
        const fields = fmt.decode(lo, hi, level === 1 ? 'leaf' : 'table').fields;
        steps.push({ level, pte: hpa(pte), lo, hi, fields });
        if (!fmt.isPresent(lo, hi)) return { steps, fault: { reason: 'not-present', level } };
      }
      const leaf = steps[steps.length - 1];
      if ((fmt.protOf(leaf.lo, leaf.hi) & accessProt(access)) === 0) {
        return { steps, fault: { reason: 'rights', level: 1 } };
      }
      return { steps, hpa: hpa(fmt.frameOf(leaf.lo, leaf.hi) * 4096 + (gpa % 4096)) };
    },
  };
}
