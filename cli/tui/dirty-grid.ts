/*
 * Geometry of the dirty-tracking page grid, shared by the dirty pane (to draw it) and the
 * container (to move the cursor over it), so that both always agree.
 *
 * One character cell stands for a power-of-two group of pages, the smallest group that lets all
 * of guest memory fit the space the pane has. A group shows the "hottest" state of its pages:
 * dirty > accessed > present > swapped out (reclaim took its frame) > not present. The cursor is a page index; it moves by one cell
 * (left/right), one row (up/down), eight rows (PgUp/PgDn) or one page ([ and ]).
 *
 * Pane content, top to bottom: the stats (one or two lines), the legend (one or two), the grid rows, and
 * one line describing the page under the cursor.
 */
import { PAGE_ACCESSED, PAGE_DIRTY, PAGE_NOT_PRESENT, PAGE_PRESENT, PAGE_SWAPPED } from './model.js';

export const CELL_CHAR: Record<number, string> = {
  [PAGE_NOT_PRESENT]: '.',
  [PAGE_SWAPPED]: 's',
  [PAGE_PRESENT]: 'o',
  [PAGE_ACCESSED]: 'a',
  [PAGE_DIRTY]: 'D',
};
export const CURSOR_CHAR = '@';
export const STATE_NAME: Record<number, string> = {
  [PAGE_NOT_PRESENT]: 'not present',
  [PAGE_SWAPPED]: 'swapped out',
  [PAGE_PRESENT]: 'present',
  [PAGE_ACCESSED]: 'accessed',
  [PAGE_DIRTY]: 'dirty',
};

export const LEGEND_PARTS = [
  '. not present',
  's swapped out',
  'o present',
  'a accessed',
  'D dirty',
  '@ cursor',
];

/** The legend packed into lines of at most `width` columns. */
export function legendLines(width: number): string[] {
  const lines: string[] = [];
  let cur = '';
  for (const part of LEGEND_PARTS) {
    const next = cur ? `${cur}  ${part}` : part;
    if (next.length > width && cur) {
      lines.push(cur);
      cur = part;
    } else cur = next;
  }
  if (cur) lines.push(cur);
  return lines;
}

/** The stats line(s): one line when wide, two when narrow. */
export function statsLines(
  width: number,
  m: { dirtyTracking: boolean; dirtySinceHarvest: number; harvests: number },
  rate: string,
): string[] {
  const a = `tracking ${m.dirtyTracking ? 'ON' : 'OFF'}   harvests ${m.harvests}`;
  const b = `dirty since harvest ${m.dirtySinceHarvest}   ${rate} pages/s`;
  return width >= STATS_ONE_LINE ? [`${a}   ${b}`] : [a, b];
}
const STATS_ONE_LINE = 72;

export interface GridGeometry {
  readonly pagesPerCell: number;
  readonly cells: number;
  readonly cellsPerRow: number;
  readonly rows: number;
  /** Lines above the grid (stats + legend). */
  readonly headerLines: number;
}

/** Fit `pages` pages into a content area of width x height. */
export function gridGeometry(pages: number, width: number, height: number): GridGeometry {
  const headerLines = (width >= STATS_ONE_LINE ? 1 : 2) + legendLines(width).length;
  const gridRows = Math.max(1, height - headerLines - 1);
  const perRow = Math.max(1, width);
  const capacity = perRow * gridRows;
  let pagesPerCell = 1;
  while (Math.ceil(pages / pagesPerCell) > capacity) pagesPerCell *= 2;
  const cells = Math.max(1, Math.ceil(pages / pagesPerCell));
  const cellsPerRow = Math.min(perRow, cells);
  return { pagesPerCell, cells, cellsPerRow, rows: Math.ceil(cells / cellsPerRow), headerLines };
}

/** The state a cell shows: the highest state among its pages. */
export function cellState(states: Uint8Array, cell: number, pagesPerCell: number): number {
  let s = PAGE_NOT_PRESENT;
  const end = Math.min(states.length, (cell + 1) * pagesPerCell);
  for (let i = cell * pagesPerCell; i < end && s < PAGE_DIRTY; i++) if (states[i] > s) s = states[i];
  return s;
}

export type CursorMove =
  'left' | 'right' | 'up' | 'down' | 'page-up' | 'page-down' | 'prev-page' | 'next-page' | 'home' | 'end';

/** Rows PgUp/PgDn move the cursor by (the whole grid is on screen, so "a screen" means nothing). */
export const PAGE_ROWS = 8;

/** The cursor's page index after a move, clamped to guest memory. */
export function moveCursor(cursor: number, move: CursorMove, g: GridGeometry, pages: number): number {
  const step = {
    left: -g.pagesPerCell,
    right: g.pagesPerCell,
    up: -g.pagesPerCell * g.cellsPerRow,
    down: g.pagesPerCell * g.cellsPerRow,
    'page-up': -g.pagesPerCell * g.cellsPerRow * PAGE_ROWS,
    'page-down': g.pagesPerCell * g.cellsPerRow * PAGE_ROWS,
    'prev-page': -1,
    'next-page': 1,
    home: -Infinity,
    end: Infinity,
  }[move];
  const next = cursor + step;
  if (!Number.isFinite(next)) return next < 0 ? 0 : Math.max(0, pages - 1);
  return Math.max(0, Math.min(Math.max(0, pages - 1), next));
}
