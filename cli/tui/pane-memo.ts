/*
 * The panes as the App draws them: each pure pane wrapped in React.memo, with a comparison that
 * looks only at the parts of the snapshot the pane reads.
 *
 * The App hands every pane the whole snapshot, and a new snapshot arrives with every frame while
 * the guest runs; but SessionCore keeps the previous objects for the parts that did not change
 * (snapshot-share.ts). So "this pane's parts are the same objects, and its other props are equal"
 * means its output would be the same, and React skips it:
 *
 *     pane      reads (besides width, height, focused and its own props)
 *     cpu       arch, console, cpu, run.state, shown.cpu    (and `changed`)
 *     faults    faults, guestPaging
 *     holds     clients, holdLog, shown.cpu.client
 *     dirty     memory, migration
 *     gpt       format, gpt, guestPaging, selection
 *     frames    pools, selection
 *
 * Invariant: a pane's list names every snapshot field the pane (and the helpers it calls) reads;
 * test/cli/tui/pane-memo.test.tsx checks the lists against what each pane draws.
 */
import { memo } from 'react';
import type { FunctionComponent } from 'react';
import type { TuiSnapshot } from './model.js';
import { CpuPane } from './cpu-pane.js';
import { FaultsPane } from './faults-pane.js';
import { HoldsPane } from './holds-pane.js';
import { DirtyPane } from './dirty-pane.js';
import { GptPane } from './gpt-pane.js';
import { FramesPane } from './frames-pane.js';

type Parts = (s: TuiSnapshot) => readonly unknown[];

export const PANE_PARTS = {
  cpu: (s) => [s.arch, s.console, s.cpu, s.run.state, s.shown?.cpu],
  faults: (s) => [s.faults, s.guestPaging],
  holds: (s) => [s.clients, s.holdLog, s.shown?.cpu?.client],
  dirty: (s) => [s.memory, s.migration],
  gpt: (s) => [s.format, s.gpt, s.guestPaging, s.selection],
  frames: (s) => [s.pools, s.selection],
} satisfies Record<string, Parts>;

/** Props equal: every prop but `snap` by identity, and the snapshot parts the pane reads. */
export function samePaneProps<P extends { readonly snap: TuiSnapshot }>(parts: Parts) {
  return (a: P, b: P): boolean => {
    const ka = Object.keys(a) as (keyof P)[];
    if (ka.length !== Object.keys(b).length) return false;
    for (const k of ka) if (k !== 'snap' && !Object.is(a[k], b[k])) return false;
    if (a.snap === b.snap) return true;
    const pa = parts(a.snap);
    const pb = parts(b.snap);
    return pa.every((x, i) => Object.is(x, pb[i]));
  };
}

function memoPane<P extends { readonly snap: TuiSnapshot }>(pane: FunctionComponent<P>, parts: Parts) {
  return memo(pane, samePaneProps<P>(parts));
}

export const MemoCpuPane = memoPane(CpuPane, PANE_PARTS.cpu);
export const MemoFaultsPane = memoPane(FaultsPane, PANE_PARTS.faults);
export const MemoHoldsPane = memoPane(HoldsPane, PANE_PARTS.holds);
export const MemoDirtyPane = memoPane(DirtyPane, PANE_PARTS.dirty);
export const MemoGptPane = memoPane(GptPane, PANE_PARTS.gpt);
export const MemoFramesPane = memoPane(FramesPane, PANE_PARTS.frames);
