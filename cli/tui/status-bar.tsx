/*
 * Header and status lines (pure).
 *
 * Header: in tab mode the six tabs, the shown one in brackets and inverse ("[4 Dirty]"); in grid
 * mode the guest's name. Both end with the two keys nobody should have to guess: ? and q.
 * Status: run state (RUNNING / PAUSED / STOPPED and why), architecture and format, instruction
 * count and rate, generation, the fault filter, and the outcome of the last action.
 */
import type { ReactElement } from 'react';
import { Box, Text } from 'ink';
import type { ActionOutcome, TuiSnapshot } from './model.js';
import type { PaneId } from './layout.js';
import { PANES } from './layout.js';
import { clip, compact } from './format.js';
import { speedShort } from './pace.js';

export interface HeaderProps {
  readonly mode: 'tabs' | 'grid';
  readonly focus: PaneId;
  readonly guest: string;
  readonly width: number;
}

export function Header({ mode, focus, guest, width }: HeaderProps): ReactElement {
  const hint = '  ? help  q quit';
  if (mode === 'grid') {
    return <Text>{clip(`nestvm  ${guest}   Tab: next pane  1-6: pick pane  z: zoom${hint}`, width)}</Text>;
  }
  let used = 0;
  const tabs = PANES.map((p, i) => {
    const on = p.id === focus;
    const label = on ? `[${i + 1} ${p.title}]` : ` ${i + 1} ${p.title} `;
    used += label.length;
    return (
      <Text key={p.id} inverse={on} bold={on}>
        {label}
      </Text>
    );
  });
  return (
    <Box width={width}>
      {tabs}
      <Text>{clip(hint, Math.max(0, width - used))}</Text>
    </Box>
  );
}

export interface StatusBarProps {
  readonly snap: TuiSnapshot;
  readonly message: ActionOutcome | null;
  readonly width: number;
}

const STATE_COLOR = { running: 'green', paused: 'yellow', stopped: 'red' } as const;

/*
 * Most important first, since the line is cut at the terminal's width: the run state, then the
 * outcome of the last action, then the steady facts. The reason for a pause is dropped once an
 * action message replaces it; the reason for a stop is always kept.
 */
export function statusText(snap: TuiSnapshot, message: ActionOutcome | null): string {
  const showReason = snap.run.reason && (snap.run.state === 'stopped' || !message);
  const speed =
    snap.run.speed !== undefined && snap.run.state !== 'stopped' ? ` (${speedShort(snap.run.speed)}/s)` : '';
  const parts = [snap.run.state.toUpperCase() + speed + (showReason ? `: ${snap.run.reason}` : '')];
  if (message) parts.push(`${message.ok ? '' : '! '}${message.note}`);
  parts.push(
    `${snap.arch} ${SHORT_FORMAT[snap.format]}`,
    `${compact(snap.cpu.instructions)} insns ${compact(snap.cpu.ips)}/s`,
    `gen ${snap.gpt.generation}`,
  );
  return parts.join(' | ');
}

const SHORT_FORMAT = { ept: 'EPT', npt: 'nPT', s2: 'stage-2' } as const;

export function StatusBar({ snap, message, width }: StatusBarProps): ReactElement {
  const text = clip(statusText(snap, message), width);
  const cut = text.indexOf(' |');
  const head = cut < 0 ? text : text.slice(0, cut);
  return (
    <Text>
      <Text bold color={STATE_COLOR[snap.run.state]}>
        {head}
      </Text>
      {cut < 0 ? '' : text.slice(cut)}
    </Text>
  );
}
