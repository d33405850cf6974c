/*
 * The real nested page table (mmu/gpt) seen as a NestedWalker: a walk of the GPT with no side
 * effects, for every reader that must not change the tables.
 *
 * The GPT's own walk (gpt-walk.ts) reads entries from host RAM as the hardware would and records
 * where the entry of each level lives. This adapter turns that path into NestedSteps: for each level
 * from the root down, the entry's host-physical location, its two halves and the format's named
 * bits (EPT, nPT or stage-2 decode()). The walk stops at the first entry that is not present; a
 * present leaf that does not grant the access is a 'rights' fault at level 1.
 *
 * Who uses it: the two-dimensional walk of `nestvm walk --virtual` (cli/commands/walk.ts) and of
 * the TUI's GPT pane (cli/tui/machine-port.ts), and HeldGuestMemory (emulator/held-memory.ts),
 * whose dry walk of the guest's tables, before a device model holds the pages of a guest buffer,
 * reads every guest table entry through it (composed with host RAM by nestedGuestAccess). None of
 * them may set Accessed or Dirty in the nested tables, and this walker never does; only the fill
 * hook (emulator/nested-mmu.ts) sets them, through the Gpt, as the hardware would. It allocates
 * per call, which is why the fill hook does not use it. Guest-physical addresses beyond what the
 * GPT covers are not its concern: the walk simply finds no entry.
 */

import { PAGE_SIZE, hpa, type Gpa } from '../addr.js';
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
      return { steps, hpa: hpa(fmt.frameOf(leaf.lo, leaf.hi) * PAGE_SIZE + (gpa % PAGE_SIZE)) };
    },
  };
}
