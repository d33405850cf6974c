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
import { FORMAT_LABEL } from './model.js';
import type { PaneId } from './layout.js';
import { PANES } from './layout.js';
import { clip, compact } from './format.js';

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

export function statusText(snap: TuiSnapshot, message: ActionOutcome | null): string {
  const state = snap.run.state.toUpperCase() + (snap.run.reason ? `: ${snap.run.reason}` : '');
  const parts = [
    `${snap.arch} ${FORMAT_LABEL[snap.format]}`,
    `${compact(snap.cpu.instructions)} insns ${compact(snap.cpu.ips)}/s`,
    `gen ${snap.gpt.generation}`,
  ];
  if (message) parts.push(`${message.ok ? '' : '! '}${message.note}`);
  return `${state} | ${parts.join(' | ')}`;
}

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
