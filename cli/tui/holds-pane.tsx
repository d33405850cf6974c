/*
 * Holds pane (pure): every VmClient with its state, and the page holds it has outstanding; below
 * them the most recent hold/release activity, so holds can be watched as they come and go.
 *
 *   c0 vcpu0          ON_CPU    0 holds
 *   c1 uart           ACTIVE    1 hold
 *   c3 vcpu1          IDLE      0 holds  gen 4     (with --cpus N: each vCPU's recorded generation)
 *      gpa 0x09000000 rw-  deferred-dirty  chain 2  hfn 0x1a2
 *   recent
 *      #41 hold    c1 gpa 0x09000000 rw-
 *      #42 release c1 gpa 0x09000000 dirty
 *
 * A client that is not IDLE is marked '*' (and coloured), so the interesting ones stand out in
 * monochrome too. With several vCPUs every row gets one more column, '>' on the row of the vCPU
 * the CPU pane shows (snap.shown.cpu). The container passes a scroll offset (in lines) when the list is longer than
 * the pane.
 */
import type { ReactElement } from 'react';
import { Text } from 'ink';
import type { ClientInfo, HoldInfo, HoldLogEntry, TuiSnapshot } from './model.js';
import { addr, clip, protString, shortHex } from './format.js';
import { PaneFrame } from './pane-frame.js';
import { useTint } from './colours.js';

export interface HoldsPaneProps {
  readonly snap: TuiSnapshot;
  readonly scroll: number;
  readonly width: number;
  readonly height: number;
  readonly focused: boolean;
}

interface Line {
  readonly text: string;
  readonly color?: string;
  readonly dim?: boolean;
}

const STATE_COLOR: Record<string, string | undefined> = {
  ACTIVE: 'yellow',
  HOLD: 'magenta',
  ON_CPU: 'green',
  ORPHANED: 'red',
  DESTROY: 'red',
};

export function clientLine(c: ClientInfo): Line {
  const busy = c.state !== 'IDLE';
  const n = c.holds.length;
  const gen = c.generation === undefined ? '' : `  gen ${c.generation}`; // a vCPU's, with --cpus N
  return {
    text: `${busy ? '*' : ' '}c${c.id} ${c.name.padEnd(10)} ${c.state.padEnd(9)} ${n} hold${n === 1 ? '' : 's'}${gen}`,
    color: STATE_COLOR[c.state],
  };
}

export function holdText(h: HoldInfo): string {
  const parts = [`gpa ${addr(h.gpa)}`, protString(h.prot)];
  if (h.deferredDirty) parts.push('deferred-dirty');
  if (h.chain !== undefined) parts.push(`chain ${h.chain}`);
  if (h.hfn !== undefined) parts.push(`hfn ${shortHex(h.hfn)}`);
  return '    ' + parts.join('  ');
}

function logLine(e: HoldLogEntry): Line {
  const what =
    e.op === 'hold'
      ? `hold    c${e.client} gpa ${addr(e.gpa)} ${protString(e.prot ?? 0)}`
      : `release c${e.client} gpa ${addr(e.gpa)}${e.dirty ? ' dirty' : ''}`;
  return { text: `    #${e.seq} ${what}`, dim: true };
}

export function holdsLines(snap: TuiSnapshot): Line[] {
  const lines: Line[] = [];
  if (snap.clients.length === 0) lines.push({ text: '(no clients)', dim: true });
  const shown = snap.shown?.cpu?.client; // several vCPUs: the CPU pane's row is marked '>'
  for (const c of snap.clients) {
    const line = clientLine(c);
    lines.push(shown === undefined ? line : { ...line, text: (c.id === shown ? '>' : ' ') + line.text });
    for (const h of c.holds) lines.push({ text: holdText(h) });
  }
  lines.push({ text: snap.holdLog.length ? 'recent' : 'recent: none yet', dim: true });
  for (const e of snap.holdLog.slice(-8)) lines.push(logLine(e));
  return lines;
}

export function HoldsPane({ snap, scroll, width, height, focused }: HoldsPaneProps): ReactElement {
  const w = Math.max(1, width - 2);
  const h = Math.max(1, height - 3);
  const lines = holdsLines(snap);
  const top = Math.max(0, Math.min(scroll, lines.length - h));
  const tint = useTint();
  const holds = snap.clients.reduce((n, c) => n + c.holds.length, 0);
  return (
    <PaneFrame
      title="Holds"
      index={3}
      focused={focused}
      width={width}
      height={height}
      detail={`${snap.clients.length} clients, ${holds} holds`}
    >
      {lines.slice(top, top + h).map((l, i) => (
        <Text key={i} color={tint(l.color)} dimColor={l.dim}>
          {clip(l.text, w)}
        </Text>
      ))}
    </PaneFrame>
  );
}
