/*
 * Screen layout: which panes are visible and how big each one is.
 *
 * Two arrangements, chosen from the terminal size alone (passed in as props, never read here):
 *
 *   tabs  (below 120x40, e.g. 80x24): one pane fills the body; a tab bar names all six and the
 *         focused one is shown. Switching focus switches the tab.
 *
 *   grid  (120x40 and larger): three columns; the first is as wide as two register columns
 *         need, the other two share the rest
 *           +-----------+----------+----------+
 *           |           |          | Dirty    |
 *           |  CPU      |  Faults  +----------+
 *           |           |          | GPT      |
 *           |           |          |          |
 *           +-----------+          +----------+
 *           |  Holds    |          | Frames   |
 *           +-----------+----------+----------+
 *         `zoom` shows the focused pane alone at full size.
 *
 * The whole screen is one line shorter than the terminal: Ink clears the terminal on every frame
 * once its output is as tall as the terminal, which flickers, so we never let it get that tall.
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
  readonly columns: readonly { readonly width: number; readonly panes: readonly PaneSlot[] }[];
}

/** Split `total` rows by the given weights, every part at least `min`. */
function split(total: number, weights: readonly number[], min = 3): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const parts = weights.map((w) => Math.max(min, Math.floor((total * w) / sum)));
  parts[parts.length - 1] = Math.max(min, total - parts.slice(0, -1).reduce((a, b) => a + b, 0));
  return parts;
}

export function planLayout(columns: number, rows: number, focus: PaneId, zoom: boolean): LayoutPlan {
  const width = Math.max(20, columns);
  const bodyHeight = Math.max(6, rows - 3);
  const grid = columns >= GRID_MIN_COLUMNS && rows >= GRID_MIN_ROWS;
  if (!grid || zoom) {
    return {
      mode: grid ? 'grid' : 'tabs',
      zoomed: grid && zoom,
      width,
      bodyHeight,
      columns: [{ width, panes: [{ id: focus, width, height: bodyHeight }] }],
    };
  }
  const c1 = CPU_COLUMN;
  const c2 = Math.ceil((width - c1) / 2); // the fault log gets the odd column
  const c3 = width - c1 - c2;
  const [c, h] = split(bodyHeight, [3, 1]);
  const [d, g, fr] = split(bodyHeight, [3, 4, 3]);
  return {
    mode: 'grid',
    zoomed: false,
    width,
    bodyHeight,
    columns: [
      {
        width: c1,
        panes: [
          { id: 'cpu', width: c1, height: c },
          { id: 'holds', width: c1, height: h },
        ],
      },
      { width: c2, panes: [{ id: 'faults', width: c2, height: bodyHeight }] },
      {
        width: c3,
        panes: [
          { id: 'dirty', width: c3, height: d },
          { id: 'gpt', width: c3, height: g },
          { id: 'frames', width: c3, height: fr },
        ],
      },
    ],
  };
}

/** The slot of a pane, or the full body when the pane is not on screen (e.g. another tab). */
export function paneSlot(plan: LayoutPlan, id: PaneId): PaneSlot {
  for (const col of plan.columns) for (const p of col.panes) if (p.id === id) return p;
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
            {col.panes.map((slot) => (
              <Box key={slot.id} width={slot.width} height={slot.height}>
                {renderPane(slot)}
              </Box>
            ))}
          </Box>
        ))}
      </Box>
      {status}
    </Box>
  );
}
