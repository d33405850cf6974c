/*
 * Header and status lines (pure).
 *
 * Header: in tab mode the six tabs, the shown one in brackets and inverse ("[4 Dirty]"); in grid
 * mode the guest's name. Both end with the two keys nobody should have to guess: ? and q.
 * Status: run state (RUNNING / PAUSED / STOPPED and why), with several guests the one shown, with `--gdb` who has the guest, architecture and format, instruction
 * count and rate, generation, the fault filter, and the outcome of the last action. It wraps
 * between its parts (and inside a part too long for a line) rather than cut, up to
 * MAX_STATUS_LINES lines; the layout makes the body as much shorter (statusLines tells it how).
 */
import type { ReactElement } from 'react';
import { Box, Text } from 'ink';
import type { ActionOutcome, TuiSnapshot } from './model.js';
import type { PaneId } from './layout.js';
import { PANES } from './layout.js';
import { clip, compact, wrap } from './format.js';
import { speedShort } from './pace.js';
import { useTint } from './colours.js';

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
 * Most important first, since a narrow terminal shows it over several lines: the run state, then the
 * outcome of the last action, then the steady facts. The reason for a pause is dropped once an
 * action message replaces it; the reason for a stop is always kept.
 */
export function statusText(snap: TuiSnapshot, message: ActionOutcome | null): string {
  const showReason = snap.run.reason && (snap.run.state === 'stopped' || !message);
  const speed =
    snap.run.speed !== undefined && snap.run.state !== 'stopped' ? ` (${speedShort(snap.run.speed)}/s)` : '';
  const parts = [snap.run.state.toUpperCase() + speed + (showReason ? `: ${snap.run.reason}` : '')];
  const vm = vmText(snap);
  if (vm !== null) parts.push(vm);
  if (snap.run.debugger) parts.push(snap.run.debugger);
  if (message) parts.push(`${message.ok ? '' : '! '}${message.note}`);
  parts.push(
    `${snap.arch} ${SHORT_FORMAT[snap.format]}`,
    `${compact(snap.cpu.instructions)} insns ${compact(snap.cpu.ips)}/s`,
    `gen ${snap.gpt.generation}`,
  );
  return parts.join(' | ');
}

/** With several guests, the one every pane shows: "VM 1/2 [vm0] c-pages.elf 12.3k insns". */
export function vmText(snap: TuiSnapshot): string | null {
  const vm = snap.shown?.vm;
  if (vm === undefined) return null;
  const state = vm.ended === undefined ? `${compact(vm.instructions)} insns` : `ended: ${vm.ended}`;
  return `VM ${vm.index + 1}/${vm.count} [vm${vm.index}] ${vm.name} ${state}`;
}

const SHORT_FORMAT = { ept: 'EPT', npt: 'nPT', s2: 'stage-2' } as const;

/** Lines the status bar takes at most; past them the last line is cut. */
export const MAX_STATUS_LINES = 3;

const SEP = ' | ';

/** The status text as the lines of `width` columns it takes: whole parts where they fit. */
export function statusLines(snap: TuiSnapshot, message: ActionOutcome | null, width: number): string[] {
  const lines: string[] = [];
  let cur = '';
  for (const part of statusText(snap, message).split(SEP)) {
    if (cur !== '' && cur.length + SEP.length + part.length <= width) {
      cur += SEP + part;
      continue;
    }
    if (cur !== '') lines.push(cur);
    const pieces = wrap(part, width);
    lines.push(...pieces.slice(0, -1));
    cur = pieces[pieces.length - 1];
  }
  lines.push(cur);
  if (lines.length <= MAX_STATUS_LINES) return lines;
  return [...lines.slice(0, MAX_STATUS_LINES - 1), clip(lines.slice(MAX_STATUS_LINES - 1).join(' '), width)];
}

export function StatusBar({ snap, message, width }: StatusBarProps): ReactElement {
  const tint = useTint();
  const [first, ...rest] = statusLines(snap, message, width);
  const cut = first.indexOf(' |');
  const head = cut < 0 ? first : first.slice(0, cut);
  return (
    <Box flexDirection="column" width={width}>
      <Text>
        <Text bold color={tint(STATE_COLOR[snap.run.state])}>
          {head}
        </Text>
        {cut < 0 ? '' : first.slice(cut)}
      </Text>
      {rest.map((l, i) => (
        <Text key={i}>{l}</Text>
      ))}
    </Box>
  );
}
