/*
 * Faults pane (pure): the scrolling log of nested faults, fills and user actions.
 *
 * Each row: sequence number, kind (read/write/exec/mmio; evict or major for reclaim's rows; or
 * action), how it was resolved (a 'filled' row is a hardware walk that found the page present: no
 * VM exit), the GPA, the host frame it mapped, and the GVA when the guest pages. Actions show their
 * note instead.
 *
 * The view follows the newest entries unless the container passes a cursor (a sequence number):
 * then the window holds the cursor row, which is marked '>' and drawn inverse. Filtering is a pure
 * function of the entries and the filter, shared with the container so that cursor movement steps
 * over exactly the rows shown.
 */
import type { ReactElement } from 'react';
import { Text } from 'ink';
import type { FaultKind, FaultLogEntry, FaultResult, TuiSnapshot } from './model.js';
import { addr, clip, shortHex } from './format.js';
import { PaneFrame } from './pane-frame.js';
import { useTint } from './colours.js';

/*
 * What the filter key selects: every row, one kind, or 'watch' (the nested faults a debugger's
 * watchpoint caused, whatever their access; they also show under their access's kind). The key
 * cycles through FAULT_FILTERS; FILTERED_KINDS lists each FaultKind once (a Record, so a kind added
 * to the model without a place in the cycle does not compile).
 */
export type FaultFilter = 'all' | FaultKind | 'watch';
const FILTERED_KINDS: Record<FaultKind, true> = {
  read: true,
  write: true,
  exec: true,
  mmio: true,
  evict: true,
  major: true,
  action: true,
};
/** The order the filter key cycles through: the accesses, reclaim's rows, watch hits, actions. */
export const FAULT_FILTERS: readonly FaultFilter[] = [
  'all',
  ...(Object.keys(FILTERED_KINDS) as FaultKind[]).filter((k) => k !== 'action'),
  'watch',
  'action',
];

export function nextFilter(f: FaultFilter): FaultFilter {
  return FAULT_FILTERS[(FAULT_FILTERS.indexOf(f) + 1) % FAULT_FILTERS.length];
}

export function filterFaults(
  entries: readonly FaultLogEntry[],
  filter: FaultFilter,
): readonly FaultLogEntry[] {
  if (filter === 'all') return entries;
  if (filter === 'watch') return entries.filter((e) => e.origin === 'watch');
  return entries.filter((e) => e.kind === filter);
}

const RESULT_TEXT: Record<FaultResult, string> = {
  mapped: 'mapped',
  mmio: 'MMIO',
  nomap: 'nomap',
  rights: 'rights',
  filled: 'filled',
  watch: 'watch',
};

/*
 * Rows are columns under a header, like top's, so that a pane 36 columns wide (120x40) still
 * shows the whole guest-physical address and the frame; the guest-virtual address, when the guest
 * pages, comes last, being the longest:
 *
 *       seq kind  result gpa        frame gva
 *         2 exec  mapped 0x00100000 0x100 -
 *        12 write mapped 0x00400000 0x400 0x7f0000000000
 *        14 action evict 0x3000: hfn 0x103 disconnected
 *        20 evict         0x00401000 0x2a7 swapped out      (reclaim took the frame)
 *        21 major         0x00401000 0x1c3 swapped in       (a major fault brought it back)
 *
 * The frame and gva columns are as wide as their widest value among the rows shown.
 */
export interface FaultColumns {
  readonly frame: number;
  /** 0 when the guest does not page (no gva column). */
  readonly gva: number;
}

const frameText = (e: FaultLogEntry) => (e.hfn !== undefined ? shortHex(e.hfn) : '-');
const gvaText = (e: FaultLogEntry) => (e.gva !== undefined ? addr(e.gva) : '-');

export function faultColumns(rows: readonly FaultLogEntry[], showGva: boolean): FaultColumns {
  let frame = 'frame'.length;
  let gva = showGva ? 'gva'.length : 0;
  for (const e of rows) {
    if (e.origin === 'action') continue;
    frame = Math.max(frame, frameText(e).length);
    if (showGva) gva = Math.max(gva, gvaText(e).length);
  }
  return { frame, gva };
}

export function faultHeaderText(cols: FaultColumns): string {
  return `  seq kind  result ${'gpa'.padEnd(10)} ${'frame'.padEnd(cols.frame)}${cols.gva ? ' gva' : ''}`;
}

export function faultRowText(e: FaultLogEntry, cols: FaultColumns): string {
  const seq = String(e.seq).padStart(5);
  if (e.origin === 'action') return `${seq} action ${e.note ?? ''}`;
  const result = (e.result ? RESULT_TEXT[e.result] : '').padEnd(6);
  const gpa = (e.gpa !== undefined ? addr(e.gpa) : '-').padEnd(10);
  const gva = cols.gva ? ` ${gvaText(e).padEnd(cols.gva)}` : '';
  const note = e.note ? ` ${e.note}` : '';
  return `${seq} ${e.kind.padEnd(5)} ${result} ${gpa} ${frameText(e).padEnd(cols.frame)}${gva}${note}`.trimEnd();
}

export interface FaultsPaneProps {
  readonly snap: TuiSnapshot;
  readonly filter: FaultFilter;
  /** Sequence number of the highlighted row, or null to follow the newest entries. */
  readonly cursorSeq: number | null;
  readonly width: number;
  readonly height: number;
  readonly focused: boolean;
}

/** First index of the window of `room` rows that shows row `at` (or the tail when at < 0). */
function windowStart(count: number, room: number, at: number): number {
  if (at < 0) return Math.max(0, count - room);
  return Math.max(0, Math.min(at - room + 1 + Math.floor(room / 2), count - room, at));
}

export function FaultsPane({
  snap,
  filter,
  cursorSeq,
  width,
  height,
  focused,
}: FaultsPaneProps): ReactElement {
  const tint = useTint();
  const w = Math.max(1, width - 2);
  const room = Math.max(1, height - 4);
  const rows = filterFaults(snap.faults.entries, filter);
  const at = cursorSeq === null ? -1 : rows.findIndex((e) => e.seq === cursorSeq);
  const start = windowStart(rows.length, room, at);
  const shown = rows.slice(start, start + room);
  const cols = faultColumns(shown, snap.guestPaging);
  const detail = `filter: ${filter}  ${rows.length}/${snap.faults.total}${at < 0 ? '' : '  (cursor)'}`;
  return (
    <PaneFrame title="Faults" index={2} focused={focused} width={width} height={height} detail={detail}>
      <Text dimColor>{clip(' ' + faultHeaderText(cols), w)}</Text>
      {shown.length === 0 ? <Text dimColor>{clip('(nothing logged yet)', w)}</Text> : null}
      {shown.map((e, i) => {
        const mark = e.seq === cursorSeq;
        const bad = e.result === 'nomap' || e.result === 'rights';
        return (
          <Text key={i} inverse={mark} color={tint(bad ? 'red' : e.origin === 'action' ? 'cyan' : undefined)}>
            {clip((mark ? '>' : ' ') + faultRowText(e, cols), w)}
          </Text>
        );
      })}
    </PaneFrame>
  );
}
