/*
 * Dirty-tracking pane (pure): a grid of guest memory, one cell per page or per group of pages
 * (dirty-grid.ts picks the group size), with a legend, the number of pages dirtied since the last
 * harvest and the dirty rate. The cell under the cursor is drawn as '@' in inverse video; the last
 * line names the page under the cursor, its state and the region that contains it. With
 * `tui --migrate`, the migration's rounds sit between the stats and the legend (migration-lines.ts).
 */
import type { ReactElement } from 'react';
import { Text } from 'ink';
import type { RegionInfo, TuiSnapshot } from './model.js';
import { PAGE_ACCESSED, PAGE_DIRTY, PAGE_PRESENT } from './model.js';
import { PAGE_SIZE } from '../../mmu/addr.js';
import { addr, clip, compact, protString } from './format.js';
import {
  CELL_CHAR,
  CURSOR_CHAR,
  STATE_NAME,
  cellState,
  gridGeometry,
  legendLines,
  statsLines,
} from './dirty-grid.js';
import { PaneFrame } from './pane-frame.js';
import { migrationLines } from './migration-lines.js';
import { useTint, type Tint } from './colours.js';

export interface DirtyPaneProps {
  readonly snap: TuiSnapshot;
  /** Page index of the cursor within the grid. */
  readonly cursor: number;
  readonly width: number;
  readonly height: number;
  readonly focused: boolean;
}

const CELL_COLOR: Record<number, string | undefined> = {
  [PAGE_PRESENT]: 'green',
  [PAGE_ACCESSED]: 'yellow',
  [PAGE_DIRTY]: 'red',
};

export function regionOf(regions: readonly RegionInfo[], gpa: number): RegionInfo | undefined {
  return regions.find((r) => gpa >= r.gpa && gpa < r.gpa + r.len);
}

function sizeText(bytes: number): string {
  if (bytes >= 1 << 20 && bytes % (1 << 20) === 0) return `${bytes / (1 << 20)} MiB`;
  if (bytes >= 1 << 10 && bytes % (1 << 10) === 0) return `${bytes / (1 << 10)} KiB`;
  return `${bytes} B`;
}

export function regionText(r: RegionInfo | undefined): string {
  if (!r) return 'no region';
  return `${r.object} ${addr(r.gpa)}+${sizeText(r.len)} ${protString(r.prot)}${r.mapped ? '' : ' UNMAPPED'}`;
}

/** One grid row as runs of equal state, so each run is one coloured Text. */
function gridRow(
  snap: TuiSnapshot,
  row: number,
  per: number,
  ppc: number,
  cursorCell: number,
  cells: number,
  tint: Tint,
) {
  const runs: ReactElement[] = [];
  let run = '';
  let runState = -1;
  const flush = (key: string) => {
    if (run)
      runs.push(
        <Text key={key} color={tint(CELL_COLOR[runState])}>
          {run}
        </Text>,
      );
    run = '';
  };
  for (let c = row * per; c < Math.min(cells, (row + 1) * per); c++) {
    const s = cellState(snap.memory.states, c, ppc);
    if (c === cursorCell) {
      flush(`r${c}`);
      runs.push(
        <Text key="cur" inverse>
          {CURSOR_CHAR}
        </Text>,
      );
      runState = -1;
      continue;
    }
    if (s !== runState) flush(`s${c}`);
    runState = s;
    run += CELL_CHAR[s];
  }
  flush('end');
  return <Text key={`row${row}`}>{runs}</Text>;
}

export function DirtyPane({ snap, cursor, width, height, focused }: DirtyPaneProps): ReactElement {
  const w = Math.max(1, width - 2);
  const h = Math.max(1, height - 3);
  const mem = snap.memory;
  const mig = migrationLines(snap.migration, h);
  const g = gridGeometry(mem.pages, w, h - mig.length);
  const cursorCell = Math.floor(cursor / g.pagesPerCell);
  const stats = statsLines(w, mem, compact(mem.dirtyRate));
  const cursorGpa = mem.base + cursor * PAGE_SIZE;
  const state = STATE_NAME[mem.states[cursor] ?? 0];
  const group = g.pagesPerCell > 1 ? ` (cell = ${g.pagesPerCell} pages)` : '';
  const tint = useTint();
  const rows: ReactElement[] = [];
  for (let r = 0; r < g.rows; r++)
    rows.push(gridRow(snap, r, g.cellsPerRow, g.pagesPerCell, cursorCell, g.cells, tint));
  const room = Math.max(1, h - mig.length - g.headerLines - 1);
  return (
    <PaneFrame
      title="Dirty"
      index={4}
      focused={focused}
      width={width}
      height={height}
      detail={`${mem.pages} pages${group}`}
    >
      {stats.map((l, i) => (
        <Text key={`s${i}`}>{clip(l, w)}</Text>
      ))}
      {mig.map((l, i) => (
        <Text key={`m${i}`} color={tint(i === 0 ? 'cyan' : undefined)}>
          {clip(l, w)}
        </Text>
      ))}
      {legendLines(w).map((l, i) => (
        <Text key={`l${i}`} dimColor>
          {clip(l, w)}
        </Text>
      ))}
      {rows.slice(0, room)}
      <Text>{clip(`@ ${addr(cursorGpa)} ${state}  ${regionText(regionOf(mem.regions, cursorGpa))}`, w)}</Text>
    </PaneFrame>
  );
}
