/*
 * Screen layout: which panes are visible and how big each one is.
 *
 * Two arrangements, chosen from the terminal size alone (passed in as props, never read here):
 *
 *   tabs  (below 120x40, e.g. 80x24): one pane fills the body; a tab bar names all six and the
 *         focused one is shown. Switching focus switches the tab.
 *
 *   grid  (120x40 and larger): a column as wide as two register columns need, and beside it two
 *         bands; each pane is as wide as what it exists to show needs, so that at 120x40 no raw
 *         entry value, address or counter is cut (the GPT pane gets at least GPT_MIN columns,
 *         one walk line with its raw entry; the Frames pane wraps its lines):
 *           +-----------+----------+----------+
 *           |           |  Faults  |  Dirty   |
 *           |  CPU      |          |          |
 *           |           +----------+-+--------+
 *           +-----------+  GPT       | Frames |
 *           |  Holds    |            |        |
 *           +-----------+------------+--------+
 *         `zoom` shows the focused pane alone at full size.
 *
 * The status bar may take more than one line (it wraps rather than cut, status-bar.ts); the body
 * is as much shorter. The whole screen is one line shorter than the terminal: Ink clears the
 * terminal on every frame once its output is as tall as the terminal, which flickers, so we never
 * let it get that tall.
 * planLayout is pure, and the container uses it too (to move the cursor over the page grid as the
 * dirty pane draws it), so both always agree on sizes.
 */
import type { ReactElement } from 'react';
import { Box } from 'ink';

export type PaneId = 'cpu' | 'faults' | 'holds' | 'dirty' | 'gpt' | 'frames';

export const PANES: readonly { id: PaneId; title: string }[] = [
  { id: 'cpu', title: 'CPU' },
  { id: 'faults', title: 'Faults' },
  { id: 'holds', title: 'Holds' },
  { id: 'dirty', title: 'Dirty' },
  { id: 'gpt', title: 'GPT' },
  { id: 'frames', title: 'Frames' },
];

export const GRID_MIN_COLUMNS = 120;
export const GRID_MIN_ROWS = 40;
/** Two register cells ("x30 " + 16 hex digits, with a marker and a gap) plus the border. */
const CPU_COLUMN = 45;
/** One GPT walk line ("L4[  0] @0x01004000 0000000001005007 table"), a column for the cut mark, the border. */
export const GPT_MIN = 45;
/** Rows of the lower band (GPT, Frames): a 4-level walk with its root pointer, and a frame's PTEs. */
const LOWER_MIN = 16;

export interface PaneSlot {
  readonly id: PaneId;
  /** Outer size, border included. */
  readonly width: number;
  readonly height: number;
}

export interface LayoutPlan {
  readonly mode: 'tabs' | 'grid';
  readonly zoomed: boolean;
  readonly width: number;
  /** Rows between the header line and the status line. */
  readonly bodyHeight: number;
  readonly columns: readonly LayoutColumn[];
}

/** A row of panes side by side, all as tall as the band. */
export interface Band {
  readonly height: number;
  readonly panes: readonly PaneSlot[];
}

/** A column of bands, top to bottom. */
export interface LayoutColumn {
  readonly width: number;
  readonly bands: readonly Band[];
}

const alone = (slot: PaneSlot): Band => ({ height: slot.height, panes: [slot] });

/** Split `total` rows by the given weights, every part at least `min`. */
function split(total: number, weights: readonly number[], min = 3): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const parts = weights.map((w) => Math.max(min, Math.floor((total * w) / sum)));
  parts[parts.length - 1] = Math.max(min, total - parts.slice(0, -1).reduce((a, b) => a + b, 0));
  return parts;
}

export function planLayout(
  columns: number,
  rows: number,
  focus: PaneId,
  zoom: boolean,
  statusLines = 1,
): LayoutPlan {
  const width = Math.max(20, columns);
  const bodyHeight = Math.max(6, rows - 2 - Math.max(1, statusLines));
  const grid = columns >= GRID_MIN_COLUMNS && rows >= GRID_MIN_ROWS;
  if (!grid || zoom) {
    return {
      mode: grid ? 'grid' : 'tabs',
      zoomed: grid && zoom,
      width,
      bodyHeight,
      columns: [{ width, bands: [alone({ id: focus, width, height: bodyHeight })] }],
    };
  }
  return { mode: 'grid', zoomed: false, width, bodyHeight, columns: gridColumns(width, bodyHeight) };
}

/** The grid's columns: CPU over Holds; Faults and Dirty over GPT and Frames (see the essay). */
function gridColumns(width: number, body: number): LayoutColumn[] {
  const left = CPU_COLUMN;
  const right = width - left;
  const faults = Math.ceil(right / 2); // the fault log gets the odd column
  const gpt = Math.max(GPT_MIN, Math.round(right * 0.55));
  const [cpu, holds] = split(body, [3, 1]);
  const lower = Math.max(LOWER_MIN, Math.round(body * 0.45));
  const upper = body - lower;
  return [
    {
      width: left,
      bands: [
        alone({ id: 'cpu', width: left, height: cpu }),
        alone({ id: 'holds', width: left, height: holds }),
      ],
    },
    {
      width: right,
      bands: [
        {
          height: upper,
          panes: [
            { id: 'faults', width: faults, height: upper },
            { id: 'dirty', width: right - faults, height: upper },
          ],
        },
        {
          height: lower,
          panes: [
            { id: 'gpt', width: gpt, height: lower },
            { id: 'frames', width: right - gpt, height: lower },
          ],
        },
      ],
    },
  ];
}

/** The slot of a pane, or the full body when the pane is not on screen (e.g. another tab). */
export function paneSlot(plan: LayoutPlan, id: PaneId): PaneSlot {
  for (const col of plan.columns)
    for (const band of col.bands) for (const p of band.panes) if (p.id === id) return p;
  return { id, width: plan.width, height: plan.bodyHeight };
}

/** Content size inside a pane: the border takes one cell each side, the title one line. */
export function contentSize(slot: PaneSlot): { width: number; height: number } {
  return { width: Math.max(1, slot.width - 2), height: Math.max(1, slot.height - 3) };
}

export interface LayoutProps {
  readonly plan: LayoutPlan;
  readonly header: ReactElement;
  readonly status: ReactElement;
  /** Draws one pane into its slot (the container passes the pure pane views in here). */
  readonly renderPane: (slot: PaneSlot) => ReactElement;
}

export function Layout({ plan, header, status, renderPane }: LayoutProps): ReactElement {
  return (
    <Box flexDirection="column" width={plan.width}>
      {header}
      <Box flexDirection="row" height={plan.bodyHeight}>
        {plan.columns.map((col, i) => (
          <Box key={i} flexDirection="column" width={col.width}>
            {col.bands.map((band, j) => (
              <Box key={j} flexDirection="row" height={band.height}>
                {band.panes.map((slot) => (
                  <Box key={slot.id} width={slot.width} height={slot.height}>
                    {renderPane(slot)}
                  </Box>
                ))}
              </Box>
            ))}
          </Box>
        ))}
      </Box>
      {status}
    </Box>
  );
}
