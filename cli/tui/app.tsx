/*
 * The TUI container: the one stateful component.
 *
 * It owns everything that is not machine state: which pane has focus, the page cursor, the fault
 * filter and fault-log cursor, scroll offsets, the help screen, zoom, and the last action's
 * outcome (UiState, key-reducer.ts). Machine state arrives only as TuiSnapshots, pulled on a timer
 * (refreshMs, 100 ms by default: ten frames a second; ticker.ts keeps that rate while the guest
 * runs) and kept only when their stamp moved, so the guest's speed does not depend on how many
 * events it produces and React re-renders only when something changed.
 *
 * A key goes through keyToCommand (keys.ts) and the pure reducer (key-reducer.ts reduceKey), which
 * gives the next UiState and at most one effect; the container only carries the effect out
 * (runEffect): a session verb whose outcome becomes the message, a selection, or quit. After a
 * call or a selection it pulls one snapshot at once, so the effect shows without waiting. After the
 * v key showed another guest, it selects the cursor's page again, in that guest's RAM.
 *
 * Views below it are pure, and drawn through pane-memo.ts: a pane whose snapshot parts and props
 * did not change is not rendered again. This file is the only place that calls the session.
 * Invariants:
 *   - the cursor is a page index in [0, memory.pages); the session's selection follows it
 *     (select() is called whenever it moves, and once at start);
 *   - `changed` (registers highlighted in the CPU pane) is recomputed only when the instruction
 *     count moved, so selecting a page does not wipe the highlight of the last step;
 *   - q calls the close hook exactly once, then Ink's exit();
 *   - with `colour` false no view draws a colour (colours.ts).
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ReactElement } from 'react';
import { Box, useApp, useInput } from 'ink';
import type { ActionOutcome, RegValue, TuiSession, TuiSnapshot } from './model.js';
import { keyToCommand } from './keys.js';
import type { PaneSlot } from './layout.js';
import { Layout } from './layout.js';
import {
  MemoCpuPane,
  MemoDirtyPane,
  MemoFaultsPane,
  MemoFramesPane,
  MemoGptPane,
  MemoHoldsPane,
} from './pane-memo.js';
import { HelpScreen } from './help-screen.js';
import { Header, StatusBar } from './status-bar.js';
import { startTicker } from './ticker.js';
import { ColourContext } from './colours.js';
import type { Effect, SessionCall, UiState } from './key-reducer.js';
import { currentPlan, helpHeight, initialUi, pageGpa, reduceKey } from './key-reducer.js';

export type { UiState } from './key-reducer.js';

export interface AppProps {
  readonly session: TuiSession;
  /** Terminal size; the caller re-renders with new values on resize. */
  readonly columns: number;
  readonly rows: number;
  /** Snapshot interval in ms (default 100, i.e. 10 Hz). */
  readonly refreshMs?: number;
  /** Called once when the user quits, before exit(); defaults to session.close(). */
  readonly onClose?: () => void;
  /** Draw in colour (default true; startTui passes false under NO_COLOR). */
  readonly colour?: boolean;
}

interface ViewState {
  readonly snap: TuiSnapshot;
  readonly changed: ReadonlySet<string>;
}

export function changedRegisters(prev: readonly RegValue[], next: readonly RegValue[]): Set<string> {
  const before = new Map(prev.map((r) => [r.name, BigInt(r.value)]));
  return new Set(next.filter((r) => before.get(r.name) !== BigInt(r.value)).map((r) => r.name));
}

/** A session verb named by the reducer, called. */
export function callSession(session: TuiSession, call: SessionCall): ActionOutcome {
  switch (call.verb) {
    case 'changeSpeed':
      return session.changeSpeed(call.step);
    case 'evict':
      return session.evict(call.gpa);
    case 'toggleRegion':
      return session.toggleRegion(call.gpa);
    case 'show':
      return session.show(call.which, call.index);
    default:
      return session[call.verb]();
  }
}

/** Another guest on the screen: the cursor kept within its RAM, and its page selected. */
function reselect(session: TuiSession, snap: TuiSnapshot, ui: UiState): UiState {
  const cursor = Math.min(ui.cursor, snap.memory.pages - 1);
  session.select(pageGpa(snap, cursor));
  return cursor === ui.cursor ? ui : { ...ui, cursor };
}

/**
 * The latest snapshot, pulled every refreshMs and kept only when its stamp moved; `refresh` pulls
 * one at once. The ref always holds what the screen shows, for key handlers between renders.
 */
function useSnapshots(session: TuiSession) {
  const [view, setView] = useState<ViewState>(() => ({ snap: session.snapshot(), changed: new Set() }));
  const viewRef = useRef(view);
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
  return { view, viewRef, refresh };
}

export function App({
  session,
  columns,
  rows,
  refreshMs = 100,
  onClose,
  colour = true,
}: AppProps): ReactElement {
  const { exit } = useApp();
  const { view, viewRef, refresh } = useSnapshots(session);
  const [ui, setUiState] = useState<UiState>(() => initialUi(view.snap));
  const uiRef = useRef(ui);
  const quitting = useRef(false);

  const setUi = useCallback((next: UiState) => {
    uiRef.current = next;
    setUiState(next);
  }, []);

  useEffect(() => {
    session.select(pageGpa(viewRef.current.snap, uiRef.current.cursor));
    refresh();
    return startTicker(refresh, refreshMs);
  }, [session, refresh, refreshMs, viewRef]);

  const runEffect = (effect: Effect) => {
    if (effect.kind === 'quit') {
      if (quitting.current) return;
      quitting.current = true;
      (onClose ?? (() => session.close()))();
      return exit();
    }
    if (effect.kind === 'call') setUi({ ...uiRef.current, message: callSession(session, effect.call) });
    else session.select(effect.gpa, effect.gva);
    refresh();
    if (effect.kind === 'call' && effect.call.verb === 'show' && effect.call.which === 'vm') {
      setUi(reselect(session, viewRef.current.snap, uiRef.current));
      refresh();
    }
  };

  useInput((input, key) => {
    const cmd = keyToCommand(input, key, uiRef.current.help);
    const env = { snap: viewRef.current.snap, columns, rows, sliceSize: session.sliceSize };
    const result = reduceKey(uiRef.current, cmd, env);
    if (result.ui !== uiRef.current) setUi(result.ui);
    if (result.effect) runEffect(result.effect);
  });

  return (
    <ColourContext.Provider value={colour}>
      <Screen view={view} ui={ui} columns={columns} rows={rows} sliceSize={session.sliceSize} />
    </ColourContext.Provider>
  );
}

interface ScreenProps {
  readonly view: ViewState;
  readonly ui: UiState;
  readonly columns: number;
  readonly rows: number;
  readonly sliceSize: number;
}

/** What the container draws for a view and a UI state: the help screen, or the panes. */
function Screen({ view, ui, columns, rows, sliceSize }: ScreenProps): ReactElement {
  const snap = view.snap;
  if (ui.help) {
    return (
      <Box width={columns}>
        <HelpScreen width={columns} height={helpHeight(rows)} scroll={ui.helpScroll} sliceSize={sliceSize} />
      </Box>
    );
  }
  const plan = currentPlan(ui, { snap, columns, rows, sliceSize });
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
