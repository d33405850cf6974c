/*
 * Host frames pane (pure): the host-physical frame behind the selected guest page, as the host
 * pmap sees it: its PV head kind (empty, single, list, or "this frame is a page table"), every
 * PTE location that maps it with the VM, page and rights of that PTE (from the PV list; a merged
 * frame's PTEs name several VMs, and a "shared" line names the VM of every page that uses it), its attribute flags; then the pool counters of the pmap (PV entries)
 * and of the page-table-page pool, and, on an overcommitted host, reclaim's lines: the policy, where its hand is (clock's next
 * look; fifo's oldest page), the last victims (gpa, and * for one that was swapped out rather
 * than dropped clean), evictions and swap-ins. A frame mapped from more PTEs than fit ends with "+N more".
 * Lines are wrapped to the pane's width, never cut: the addresses and counters are its point.
 */
import type { ReactElement } from 'react';
import { Text } from 'ink';
import type { PvHeadKind, ReclaimInfo, TuiSnapshot } from './model.js';
import { addr, shortHex, wrap } from './format.js';
import { PaneFrame } from './pane-frame.js';
import { PAGE_SIZE } from '../../mmu/addr.js';

export interface FramesPaneProps {
  readonly snap: TuiSnapshot;
  readonly width: number;
  readonly height: number;
  readonly focused: boolean;
}

const HEAD_TEXT: Record<PvHeadKind, string> = {
  empty: 'empty (no mappings)',
  single: 'single (one PTE, kept in the head)',
  list: 'list (PV entries, two PTEs each)',
  table: 'table (this frame is a page table)',
};

const where = (gpa: number, hfn: number) => (gpa < 0 ? `hfn ${shortHex(hfn)}` : addr(gpa));

/** Reclaim's counters and state, as "name value" pairs. */
export function reclaimTexts(r: ReclaimInfo): string[] {
  const hand = r.hand === null ? 'none' : `${where(r.hand.gpa, r.hand.hfn)} (hfn ${shortHex(r.hand.hfn)})`;
  const victims =
    r.victims.length === 0
      ? 'none'
      : r.victims.map((v) => `${where(v.gpa, v.hfn)}${v.dirty ? '*' : ''}`).join(' ');
  return [
    `reclaim ${r.policy}  evictions ${r.evictions}  swap-ins ${r.swapIns}  clean drops ${r.cleanDrops}  frames ${r.framesInUse}/${r.framesTotal}`,
    `hand ${hand}`,
    `victims (newest last, * swapped out): ${victims}`,
  ];
}

const rights = (p: number) => `${p & 1 ? 'r' : '-'}${p & 2 ? 'w' : '-'}${p & 4 ? 'x' : '-'}`;

/* A PTE's VM, the page it maps and its rights, as the PV list tells them ("" when unknown). */
const mapperText = (m?: { vm: number; gpa: number; prot: number }) =>
  m === undefined ? '' : `  vm${m.vm} ${addr(m.gpa)} ${rights(m.prot)}`;

/** The pane's lines at `width` columns, every one wrapped rather than cut, in at most `room` lines. */
export function framesLines(snap: TuiSnapshot, room: number, width: number): string[] {
  // counters are "name value" pairs two spaces apart: wrapping keeps each pair on one line
  const lines = (texts: readonly string[], sep = ' ') => texts.flatMap((t) => wrap(t, width, '  ', sep));
  const p = snap.pools;
  const tail = lines(
    [
      `PV pool: free ${p.pvFree}  reserve ${p.pvReserve}  low-water ${p.pvLowWater}`,
      `tables: in use ${p.tablesInUse}  cached ${p.tablesCached}  reserve ${p.tablesReserve}  stolen ${p.stolen}`,
      ...(p.hostFramesFree !== undefined
        ? [`host frames free ${p.hostFramesFree}/${p.hostFramesTotal ?? '?'}`]
        : []),
      // reclaim runs only on an overcommitted host; elsewhere its lines would crowd out the PTEs
      ...(snap.reclaim?.overcommitted ? reclaimTexts(snap.reclaim) : []),
    ],
    '  ',
  );
  const sel = snap.selection;
  const f = sel.frame;
  if (sel.gpa === null) return [...lines(['no page selected']), ...tail];
  if (!f) return [...lines([`gpa ${addr(sel.gpa)}: no host frame (not mapped)`]), ...tail];
  const head = lines([
    `gpa ${addr(sel.gpa)} -> hfn ${shortHex(f.hfn)} (hpa ${addr(f.hfn * PAGE_SIZE)})`,
    `PV head: ${HEAD_TEXT[f.headKind]}`,
    `attrs: ${f.attrs.length ? f.attrs.join(' ') : 'none'}`,
    ...(f.sharedBy
      ? [`shared (merged) by ${f.sharedBy.length} pages: ${f.sharedBy.map((v) => `vm${v}`).join(' ')}`]
      : []),
    `mapped by ${f.ptes.length} PTE${f.ptes.length === 1 ? '' : 's'}:`,
  ]);
  const left = room - head.length - tail.length;
  const fits = f.ptes.length <= left ? f.ptes.length : Math.max(0, left - 1);
  f.ptes.slice(0, fits).forEach((pte, i) => head.push(`  PTE @ ${addr(pte)}${mapperText(f.mappers?.[i])}`));
  if (fits < f.ptes.length) head.push(`  +${f.ptes.length - fits} more`);
  return [...head, ...tail];
}

export function FramesPane({ snap, width, height, focused }: FramesPaneProps): ReactElement {
  const w = Math.max(1, width - 2);
  const h = Math.max(1, height - 3);
  const lines = framesLines(snap, h, w);
  return (
    <PaneFrame title="Frames" index={6} focused={focused} width={width} height={height}>
      {lines.slice(0, h).map((l, i) => (
        <Text key={i}>{l}</Text>
      ))}
    </PaneFrame>
  );
}
