/*
 * The TUI container: the one stateful component.
 *
 * It owns everything that is not machine state: which pane has focus, the page cursor, the fault
 * filter and fault-log cursor, scroll offsets, the help screen, zoom, and the last action's
 * outcome. Machine state arrives only as TuiSnapshots, pulled on a timer (refreshMs, 100 ms by
 * default: ten frames a second; ticker.ts keeps that rate while the guest runs) and kept only
 * when their stamp moved, so the guest's speed does not depend on how many events it produces and
 * React re-renders only when something changed. After a key that calls the session it pulls one
 * snapshot at once, so the effect shows without waiting.
 *
 * Views below it are pure, and drawn through pane-memo.ts: a pane whose snapshot parts and props
 * did not change is not rendered again. This file is the only place that calls the session.
 * Invariants:
 *   - the cursor is a page index in [0, memory.pages); the session's selection follows it
 *     (select() is called whenever it moves, and once at start);
 *   - `changed` (registers highlighted in the CPU pane) is recomputed only when the instruction
 *     count moved, so selecting a page does not wipe the highlight of the last step;
 *   - q calls the close hook exactly once, then Ink's exit().
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ReactElement } from 'react';
import { Box, useApp, useInput } from 'ink';
import type { ActionOutcome, RegValue, TuiSession, TuiSnapshot } from './model.js';
import { gpa as toGpa, PAGE_SIZE } from '../../mmu/addr.js';
import type { Command } from './keys.js';
import { keyToCommand } from './keys.js';
import type { PaneId, PaneSlot } from './layout.js';
import { contentSize, Layout, paneSlot, PANES, planLayout } from './layout.js';
import { gridGeometry, moveCursor } from './dirty-grid.js';
import type { CursorMove } from './dirty-grid.js';
import type { FaultFilter } from './faults-pane.js';
import { filterFaults, nextFilter } from './faults-pane.js';
import { holdsLines } from './holds-pane.js';
import {
  MemoCpuPane,
  MemoDirtyPane,
  MemoFaultsPane,
  MemoFramesPane,
  MemoGptPane,
  MemoHoldsPane,
} from './pane-memo.js';
import { HelpScreen, helpLines } from './help-screen.js';
import { Header, StatusBar } from './status-bar.js';
import { installInkOutputCache } from './ink-output-cache.js';
import { installInkOutputGrid } from './ink-output-grid.js';
import { startTicker } from './ticker.js';

// Lines that did not change since the last frame are not tokenized again (ink-output-cache.ts),
// and rows are turned into terminal text without Ink's per-cell style diffing (ink-output-grid.ts).
await Promise.all([installInkOutputCache(), installInkOutputGrid()]);

export interface AppProps {
  readonly session: TuiSession;
  /** Terminal size; the caller re-renders with new values on resize. */
  readonly columns: number;
  readonly rows: number;
  /** Snapshot interval in ms (default 100, i.e. 10 Hz). */
  readonly refreshMs?: number;
  /** Called once when the user quits, before exit(); defaults to session.close(). */
  readonly onClose?: () => void;
}

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

interface ViewState {
  readonly snap: TuiSnapshot;
  readonly changed: ReadonlySet<string>;
}

export function changedRegisters(prev: readonly RegValue[], next: readonly RegValue[]): Set<string> {
  const before = new Map(prev.map((r) => [r.name, BigInt(r.value)]));
  return new Set(next.filter((r) => before.get(r.name) !== BigInt(r.value)).map((r) => r.name));
}

function initialUi(snap: TuiSnapshot): UiState {
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

const pageGpa = (snap: TuiSnapshot, page: number) => toGpa(snap.memory.base + page * PAGE_SIZE);

/** A list's scroll offset after a move, kept within [0, max]. */
function scrollTo(offset: number, move: CursorMove, page: number, max: number): number {
  const step: Partial<Record<CursorMove, number>> = { up: -1, down: 1, 'page-up': -page, 'page-down': page };
  const to = move === 'home' ? 0 : move === 'end' ? max : offset + (step[move] ?? 0);
  return Math.max(0, Math.min(max, to));
}

const helpHeight = (rows: number) => Math.max(6, rows - 1);

/** Move the fault-log cursor over the rows the filter shows (null = follow the newest). */
function moveFaultCursor(snap: TuiSnapshot, ui: UiState, move: CursorMove): number | null {
  const rows = filterFaults(snap.faults.entries, ui.filter);
  if (rows.length === 0 || move === 'end') return null;
  if (move === 'home') return rows[0].seq;
  const at = ui.faultCursor === null ? rows.length : rows.findIndex((e) => e.seq === ui.faultCursor);
  const from = at < 0 ? rows.length : at;
  const step: Partial<Record<CursorMove, number>> = { up: -1, down: 1, 'page-up': -10, 'page-down': 10 };
  const to = from + (step[move] ?? 0);
  return to >= rows.length ? null : rows[Math.max(0, to)].seq;
}

export function App({ session, columns, rows, refreshMs = 100, onClose }: AppProps): ReactElement {
  const { exit } = useApp();
  const [view, setView] = useState<ViewState>(() => ({ snap: session.snapshot(), changed: new Set() }));
  const [ui, setUiState] = useState<UiState>(() => initialUi(view.snap));
  const viewRef = useRef(view);
  const uiRef = useRef(ui);
  const quitting = useRef(false);

  const refresh = useCallback(() => {
    const next = session.snapshot();
    const prev = viewRef.current;
    if (next.stamp === prev.snap.stamp) return;
    const moved = next.cpu.instructions !== prev.snap.cpu.instructions;
    const v = {
      snap: next,
      changed: moved ? changedRegisters(prev.snap.cpu.regs, next.cpu.regs) : prev.changed,
    };
    viewRef.current = v;
    setView(v);
  }, [session]);

  const setUi = useCallback((patch: Partial<UiState>) => {
    uiRef.current = { ...uiRef.current, ...patch };
    setUiState(uiRef.current);
  }, []);

  useEffect(() => {
    session.select(pageGpa(viewRef.current.snap, uiRef.current.cursor));
    refresh();
    return startTicker(refresh, refreshMs);
  }, [session, refresh, refreshMs]);

  /** Call a session verb, show its outcome, and pull a snapshot at once. */
  const act = (verb: () => ActionOutcome) => {
    setUi({ message: verb() });
    refresh();
  };

  const moveBy = (move: CursorMove) => {
    const cur = uiRef.current;
    const snap = viewRef.current.snap;
    if (cur.help) {
      const room = helpHeight(rows) - 2;
      const max = helpLines(columns - 4, session.sliceSize).length - room;
      return setUi({ helpScroll: scrollTo(cur.helpScroll, move, room, max) });
    }
    if (cur.focus === 'faults' && move !== 'left' && move !== 'right') {
      return setUi({ faultCursor: moveFaultCursor(snap, cur, move) });
    }
    if (cur.focus === 'holds' && move !== 'left' && move !== 'right') {
      const room = contentSize(paneSlot(planLayout(columns, rows, 'holds', cur.zoom), 'holds')).height;
      const max = holdsLines(snap).length - room;
      return setUi({ holdScroll: scrollTo(cur.holdScroll, move, room, max) });
    }
    const slot = paneSlot(planLayout(columns, rows, cur.focus, cur.zoom), 'dirty');
    const size = contentSize(slot);
    const g = gridGeometry(snap.memory.pages, size.width, size.height);
    const cursor = moveCursor(cur.cursor, move, g, snap.memory.pages);
    if (cursor === cur.cursor) return;
    setUi({ cursor });
    session.select(pageGpa(snap, cursor));
    refresh();
  };

  const selectEntry = () => {
    const cur = uiRef.current;
    const snap = viewRef.current.snap;
    if (cur.focus !== 'faults' || cur.faultCursor === null) return;
    const e = snap.faults.entries.find((x) => x.seq === cur.faultCursor);
    if (!e || e.gpa === undefined)
      return setUi({ message: { ok: false, note: 'this entry has no address' } });
    const page = Math.floor((e.gpa - snap.memory.base) / PAGE_SIZE);
    const inGrid = page >= 0 && page < snap.memory.pages;
    session.select(toGpa(e.gpa - (e.gpa % PAGE_SIZE)), e.gva ?? null);
    const note = `selected gpa 0x${e.gpa.toString(16)}${e.gva !== undefined ? ` gva 0x${e.gva.toString(16)}` : ''}`;
    setUi({ ...(inGrid ? { cursor: page } : {}), message: { ok: true, note } });
    refresh();
  };

  const quit = () => {
    if (quitting.current) return;
    quitting.current = true;
    (onClose ?? (() => session.close()))();
    exit();
  };

  const run = (cmd: Command) => {
    const cur = uiRef.current;
    const snap = viewRef.current.snap;
    const sel = pageGpa(snap, cur.cursor);
    const focusAt = (d: number) =>
      PANES[(PANES.findIndex((p) => p.id === cur.focus) + d + PANES.length) % PANES.length].id;
    switch (cmd.type) {
      case 'toggle-run':
        return act(() => (snap.run.state === 'running' ? session.pause() : session.resume()));
      case 'step':
        return act(() => session.step());
      case 'slice':
        return act(() => session.stepSlice());
      case 'speed':
        return act(() => session.changeSpeed(cmd.step));
      case 'harvest':
        return act(() => session.harvest());
      case 'toggle-dirty':
        return act(() => session.toggleDirtyTracking());
      case 'reset-accessed':
        return act(() => session.resetAccessed());
      case 'evict':
        return act(() => session.evict(sel));
      case 'toggle-region':
        return act(() => session.toggleRegion(sel));
      case 'move':
        return moveBy(cmd.move);
      case 'focus-next':
        return setUi({ focus: focusAt(1) });
      case 'focus-prev':
        return setUi({ focus: focusAt(-1) });
      case 'focus':
        return setUi({ focus: cmd.pane });
      case 'filter': {
        const filter = nextFilter(cur.filter);
        return setUi({
          filter,
          faultCursor: null,
          message: { ok: true, note: `fault log shows: ${filter}` },
        });
      }
      case 'select-entry':
        return selectEntry();
      case 'follow':
        return setUi({ faultCursor: null });
      case 'zoom':
        if (planLayout(columns, rows, cur.focus, false).mode === 'tabs') {
          return setUi({ message: { ok: false, note: 'zoom needs a terminal of at least 120x40' } });
        }
        return setUi({ zoom: !cur.zoom });
      case 'help':
        return setUi({ help: !cur.help, helpScroll: 0 });
      case 'quit':
        return quit();
      case 'none':
        return;
    }
  };

  useInput((input, key) => run(keyToCommand(input, key, uiRef.current.help)));

  const snap = view.snap;
  if (ui.help) {
    return (
      <Box width={columns}>
        <HelpScreen
          width={columns}
          height={helpHeight(rows)}
          scroll={ui.helpScroll}
          sliceSize={session.sliceSize}
        />
      </Box>
    );
  }
  const plan = planLayout(columns, rows, ui.focus, ui.zoom);
  const renderPane = (slot: PaneSlot): ReactElement => {
    const p = { snap, width: slot.width, height: slot.height, focused: slot.id === ui.focus };
    switch (slot.id) {
      case 'cpu':
        return <MemoCpuPane {...p} changed={view.changed} />;
      case 'faults':
        return <MemoFaultsPane {...p} filter={ui.filter} cursorSeq={ui.faultCursor} />;
      case 'holds':
        return <MemoHoldsPane {...p} scroll={ui.holdScroll} />;
      case 'dirty':
        return <MemoDirtyPane {...p} cursor={ui.cursor} />;
      case 'gpt':
        return <MemoGptPane {...p} />;
      case 'frames':
        return <MemoFramesPane {...p} />;
    }
  };
  const header = <Header mode={plan.mode} focus={ui.focus} guest={snap.guest} width={plan.width} />;
  return (
    <Layout
      plan={plan}
      header={header}
      status={<StatusBar snap={snap} message={ui.message} width={plan.width} />}
      renderPane={renderPane}
    />
  );
}
