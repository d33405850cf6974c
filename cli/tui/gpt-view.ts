/*
 * Side-effect-free readers of a live GPT for the GPT and dirty panes (the adapter calls them):
 *
 *   gptInfo(gpt, generation)        format, root pointer (raw and decoded), generation, levels
 *   levelInfo(gpt)                  per level: tables, reference counts (list, or summary when many)
 *   walkOf(gpt, gpa)                the entries a nested walk of gpa reads, root first, decoded
 *   fillPageStates(gpt, base, out)  one byte per page: not present / present / accessed / dirty
 *
 * They read host RAM and the tree's bookkeeping only; nothing is written, so the guest's A/D bits
 * are seen exactly as the hardware left them. Costs: levelInfo visits every table node once;
 * fillPageStates visits only the leaf slots that exist (GptIter skips missing tables) and allocates
 * nothing per page; walkOf allocates a few small objects (display only).
 */
import type { Gpa } from '../../mmu/addr.js';
import { hfn as toHfn, hpa as toHpa, PAGE_SIZE } from '../../mmu/addr.js';
import type { RootOptions } from '../../mmu/gpt/entry-format.js';
import type { Gpt } from '../../mmu/gpt/gpt.js';
import type { GptNode } from '../../mmu/gpt/gpt-node.js';
import type { GptInfo, LevelInfo, WalkStep } from './model.js';
import { PAGE_ACCESSED, PAGE_DIRTY, PAGE_NOT_PRESENT, PAGE_PRESENT } from './model.js';
import { fieldsOf, rawOf, walkKind } from './gpt-fields.js';

/** Reference counts listed one by one up to this many tables per level, summarised beyond. */
const LIST_REFS = 8;

export function levelInfo(gpt: Gpt): LevelInfo[] {
  const byLevel = new Map<number, { refs: number[]; unbacked: number }>();
  const visit = (node: GptNode) => {
    const e = byLevel.get(node.level) ?? { refs: [], unbacked: 0 };
    byLevel.set(node.level, e);
    e.refs.push(gpt.tables.refs(node));
    if (!node.backed) e.unbacked++;
    for (let c = node.child; c; c = c.next) visit(c);
  };
  visit(gpt.tables.root);
  return [...byLevel.entries()]
    .sort((a, b) => b[0] - a[0])
    .map(([level, { refs, unbacked }]) => ({
      level,
      tables: refs.length,
      unbacked,
      refcounts:
        refs.length <= LIST_REFS
          ? refs
          : { min: Math.min(...refs), max: Math.max(...refs), total: refs.reduce((a, b) => a + b, 0) },
    }));
}

export function gptInfo(gpt: Gpt, generation: number, rootOpts: Partial<RootOptions> = {}): GptInfo {
  const w = gpt.rootPointer(rootOpts);
  return {
    format: gpt.format.name,
    rootPointer: { raw: rawOf(w.lo, w.hi), fields: fieldsOf(gpt.format.decode(w.lo, w.hi, 'root')) },
    generation,
    levels: levelInfo(gpt),
  };
}

export function walkOf(gpt: Gpt, gpa: Gpa): WalkStep[] {
  const u32 = gpt.mem.u32;
  return gpt.explain(gpa).map((s) => {
    const lo = u32[s.pte >>> 2];
    const hi = u32[(s.pte >>> 2) + 1];
    const kind = walkKind(s.decoded);
    return {
      level: s.level,
      index: Math.floor(gpa / 2 ** (12 + 9 * (s.level - 1))) % 512,
      pteHpa: toHpa(s.pte),
      raw: rawOf(lo, hi),
      fields: fieldsOf(s.decoded),
      kind,
      hfn: kind === 'empty' ? undefined : toHfn(gpt.format.frameOf(lo, hi)),
    };
  });
}

/** Fill out[i] with the state of page base + i * 4096, for i < out.length. */
export function fillPageStates(gpt: Gpt, base: Gpa, out: Uint8Array): void {
  out.fill(PAGE_NOT_PRESENT);
  const fmt = gpt.format;
  const u32 = gpt.mem.u32;
  const it = gpt.iterate(base, out.length * PAGE_SIZE);
  while (it.next()) {
    const lo = u32[it.pte >>> 2];
    const hi = u32[(it.pte >>> 2) + 1];
    if (!fmt.isPresent(lo, hi)) continue;
    out[(it.gpa - base) / PAGE_SIZE] = fmt.isDirty(lo, hi)
      ? PAGE_DIRTY
      : fmt.isAccessed(lo, hi)
        ? PAGE_ACCESSED
        : PAGE_PRESENT;
  }
}
