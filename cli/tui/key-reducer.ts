/*
 * What a key does: a pure reducer from the UI state and a command (keys.ts) to the next UI state
 * and at most one effect for the container to carry out.
 *
 *   keyToCommand(input, key) ──► reduceKey(ui, cmd, view) ──► { ui, effect? }
 *                                                               │
 *        App (app.tsx) sets ui, then runs the effect: ◄─────────┘
 *          call    a session verb; its outcome becomes ui.message; one snapshot pulled at once
 *          select  session.select(gpa, gva); one snapshot pulled at once
 *          quit    the close hook once, then Ink's exit()
 *
 * The reducer never calls the session and reads no clock: the same state, command and view give
 * the same result, so every key is tested without Ink (test/cli/tui/key-reducer.test.ts). It reads
 * the screen's geometry through planLayout, as the views draw it, so the page cursor moves over
 * the grid the dirty pane shows.
 *
 * Invariants: the cursor stays a page index in [0, memory.pages); every change of the cursor
 * comes with a select effect for the page it lands on; the fault cursor is null (follow the
 * newest) or the sequence number of a row the filter shows.
 */
import type { ActionOutcome, TuiSnapshot } from './model.js';
import { gpa as toGpa, pageAlignDown, PAGE_SIZE, type Gpa, type Gva } from '../../mmu/addr.js';
import type { Command } from './keys.js';
import type { PaneId } from './layout.js';
import { contentSize, paneSlot, PANES, planLayout } from './layout.js';
import { gridGeometry, moveCursor, type CursorMove } from './dirty-grid.js';
import { migrationLineCount } from './migration-lines.js';
import { filterFaults, nextFilter, type FaultFilter } from './faults-pane.js';
import { holdsLines } from './holds-pane.js';
import { helpLines } from './help-screen.js';
import { statusLines } from './status-bar.js';

export interface UiState {
  readonly focus: PaneId;
  readonly cursor: number;
  readonly filter: FaultFilter;
  readonly faultCursor: number | null;
  readonly holdScroll: number;
  readonly help: boolean;
  readonly helpScroll: number;
  readonly zoom: boolean;
  readonly message: ActionOutcome | null;
}

/** What the reducer reads besides the UI state: the latest snapshot and the screen. */
export interface KeyView {
  readonly snap: TuiSnapshot;
  readonly columns: number;
  readonly rows: number;
  readonly sliceSize: number;
}

/** A session verb, as data (the container calls it: callSession in app.tsx). */
export type SessionCall =
  | { readonly verb: 'pause' | 'resume' | 'step' | 'stepSlice' | 'harvest' }
  | { readonly verb: 'toggleDirtyTracking' | 'resetAccessed' }
  | { readonly verb: 'changeSpeed'; readonly step: 1 | -1 }
  | { readonly verb: 'evict' | 'toggleRegion'; readonly gpa: Gpa }
  | { readonly verb: 'show'; readonly which: 'cpu' | 'vm'; readonly index: number };

export type Effect =
  | { readonly kind: 'call'; readonly call: SessionCall }
  | { readonly kind: 'select'; readonly gpa: Gpa; readonly gva: Gva | null }
  | { readonly kind: 'quit' };

export interface KeyResult {
  readonly ui: UiState;
  readonly effect?: Effect;
}

export function initialUi(snap: TuiSnapshot): UiState {
  const sel = snap.selection.gpa;
  const page = sel === null ? 0 : Math.floor((sel - snap.memory.base) / PAGE_SIZE);
  const cursor = page >= 0 && page < snap.memory.pages ? page : 0;
  return {
    focus: 'cpu',
    cursor,
    filter: 'all',
    faultCursor: null,
    holdScroll: 0,
    help: false,
    helpScroll: 0,
    zoom: false,
    message: null,
  };
}

export const pageGpa = (snap: TuiSnapshot, page: number): Gpa => toGpa(snap.memory.base + page * PAGE_SIZE);

export const helpHeight = (rows: number): number => Math.max(6, rows - 1);

/** The layout as the screen shows it now (the status bar's lines included). */
export function currentPlan(ui: UiState, view: KeyView, focus = ui.focus, zoom = ui.zoom) {
  const status = statusLines(view.snap, ui.message, Math.max(20, view.columns)).length;
  return planLayout(view.columns, view.rows, focus, zoom, status);
}

/** A list's scroll offset after a move, kept within [0, max]. */
export function scrollTo(offset: number, move: CursorMove, page: number, max: number): number {
  const step: Partial<Record<CursorMove, number>> = { up: -1, down: 1, 'page-up': -page, 'page-down': page };
  const to = move === 'home' ? 0 : move === 'end' ? max : offset + (step[move] ?? 0);
  return Math.max(0, Math.min(max, to));
}

/** Move the fault-log cursor over the rows the filter shows (null = follow the newest). */
export function moveFaultCursor(snap: TuiSnapshot, ui: UiState, move: CursorMove): number | null {
  const rows = filterFaults(snap.faults.entries, ui.filter);
  if (rows.length === 0 || move === 'end') return null;
  if (move === 'home') return rows[0].seq;
  const at = ui.faultCursor === null ? rows.length : rows.findIndex((e) => e.seq === ui.faultCursor);
  const from = at < 0 ? rows.length : at;
  const step: Partial<Record<CursorMove, number>> = { up: -1, down: 1, 'page-up': -10, 'page-down': 10 };
  const to = from + (step[move] ?? 0);
  return to >= rows.length ? null : rows[Math.max(0, to)].seq;
}

const across = (move: CursorMove) => move === 'left' || move === 'right';

/** An arrow or paging key: scrolls the help or a list, or moves the page cursor. */
function reduceMove(ui: UiState, move: CursorMove, view: KeyView): KeyResult {
  const { snap, columns, rows } = view;
  if (ui.help) {
    const room = helpHeight(rows) - 2;
    const max = helpLines(columns - 4, view.sliceSize).length - room;
    return { ui: { ...ui, helpScroll: scrollTo(ui.helpScroll, move, room, max) } };
  }
  if (ui.focus === 'faults' && !across(move)) {
    return { ui: { ...ui, faultCursor: moveFaultCursor(snap, ui, move) } };
  }
  if (ui.focus === 'holds' && !across(move)) {
    const room = contentSize(paneSlot(currentPlan(ui, view, 'holds'), 'holds')).height;
    const max = holdsLines(snap).length - room;
    return { ui: { ...ui, holdScroll: scrollTo(ui.holdScroll, move, room, max) } };
  }
  const size = contentSize(paneSlot(currentPlan(ui, view), 'dirty'));
  const mig = migrationLineCount(snap.migration, size.height);
  const g = gridGeometry(snap.memory.pages, size.width, size.height - mig);
  const cursor = moveCursor(ui.cursor, move, g, snap.memory.pages);
  if (cursor === ui.cursor) return { ui };
  return { ui: { ...ui, cursor }, effect: { kind: 'select', gpa: pageGpa(snap, cursor), gva: null } };
}

/** Enter in the fault log: select the page (and GVA) of the entry under the fault cursor. */
function reduceSelectEntry(ui: UiState, snap: TuiSnapshot): KeyResult {
  if (ui.focus !== 'faults' || ui.faultCursor === null) return { ui };
  const e = snap.faults.entries.find((x) => x.seq === ui.faultCursor);
  if (!e || e.gpa === undefined)
    return { ui: { ...ui, message: { ok: false, note: 'this entry has no address' } } };
  const page = Math.floor((e.gpa - snap.memory.base) / PAGE_SIZE);
  const inGrid = page >= 0 && page < snap.memory.pages;
  const note = `selected gpa 0x${e.gpa.toString(16)}${e.gva !== undefined ? ` gva 0x${e.gva.toString(16)}` : ''}`;
  return {
    ui: { ...ui, ...(inGrid ? { cursor: page } : {}), message: { ok: true, note } },
    effect: { kind: 'select', gpa: pageAlignDown(toGpa(e.gpa)), gva: e.gva ?? null },
  };
}

/** The commands that are one session verb each (the selected page's for evict and unmap). */
function sessionCall(cmd: Command, ui: UiState, snap: TuiSnapshot): SessionCall | null {
  switch (cmd.type) {
    case 'toggle-run':
      return { verb: snap.run.state === 'running' ? 'pause' : 'resume' };
    case 'step':
      return { verb: 'step' };
    case 'slice':
      return { verb: 'stepSlice' };
    case 'speed':
      return { verb: 'changeSpeed', step: cmd.step };
    case 'harvest':
      return { verb: 'harvest' };
    case 'toggle-dirty':
      return { verb: 'toggleDirtyTracking' };
    case 'reset-accessed':
      return { verb: 'resetAccessed' };
    case 'evict':
      return { verb: 'evict', gpa: pageGpa(snap, ui.cursor) };
    case 'toggle-region':
      return { verb: 'toggleRegion', gpa: pageGpa(snap, ui.cursor) };
    default:
      return null;
  }
}

/** c / v: the next (or previous) vCPU or guest, round; refused when there is only one. */
function reduceShow(ui: UiState, which: 'cpu' | 'vm', step: 1 | -1, snap: TuiSnapshot): KeyResult {
  const at = snap.shown?.[which];
  if (at === undefined || at.count <= 1) {
    const note =
      which === 'cpu'
        ? 'vCPU: this guest has one (start it with --cpus N for several)'
        : 'VM: one guest here (`nestvm tui a.elf b.elf` runs several)';
    return { ui: { ...ui, message: { ok: false, note } } };
  }
  const index = (at.index + step + at.count) % at.count;
  // another guest's fault log numbers its own entries: follow its newest
  const next = which === 'vm' ? { ...ui, faultCursor: null, holdScroll: 0 } : ui;
  return { ui: next, effect: { kind: 'call', call: { verb: 'show', which, index } } };
}

const focusAt = (from: PaneId, d: number): PaneId =>
  PANES[(PANES.findIndex((p) => p.id === from) + d + PANES.length) % PANES.length].id;

export function reduceKey(ui: UiState, cmd: Command, view: KeyView): KeyResult {
  const call = sessionCall(cmd, ui, view.snap);
  if (call !== null) return { ui, effect: { kind: 'call', call } };
  switch (cmd.type) {
    case 'move':
      return reduceMove(ui, cmd.move, view);
    case 'focus-next':
      return { ui: { ...ui, focus: focusAt(ui.focus, 1) } };
    case 'focus-prev':
      return { ui: { ...ui, focus: focusAt(ui.focus, -1) } };
    case 'focus':
      return { ui: { ...ui, focus: cmd.pane } };
    case 'filter': {
      const filter = nextFilter(ui.filter);
      return {
        ui: { ...ui, filter, faultCursor: null, message: { ok: true, note: `fault log shows: ${filter}` } },
      };
    }
    case 'select-entry':
      return reduceSelectEntry(ui, view.snap);
    case 'show':
      return reduceShow(ui, cmd.which, cmd.step, view.snap);
    case 'follow':
      return { ui: { ...ui, faultCursor: null } };
    case 'zoom':
      if (currentPlan(ui, view, ui.focus, false).mode === 'tabs') {
        return { ui: { ...ui, message: { ok: false, note: 'zoom needs a terminal of at least 120x40' } } };
      }
      return { ui: { ...ui, zoom: !ui.zoom } };
    case 'help':
      return { ui: { ...ui, help: !ui.help, helpScroll: 0 } };
    case 'quit':
      return { ui, effect: { kind: 'quit' } };
    default:
      return { ui };
  }
}
