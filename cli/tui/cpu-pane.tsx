/*
 * CPU pane (pure): the general-purpose registers, the flags decoded, a disassembly window around
 * the PC, and the instruction counters.
 *
 * Registers are drawn in as many columns as fit, in the order the snapshot lists them (model.ts
 * REGISTER_NAMES); the flags register (rflags / nzcv) gets a line of its own with its set flags
 * named. A register whose value changed since the previous snapshot is marked with '*'
 * after its name and drawn bold yellow: the marker keeps it visible on monochrome terminals. The
 * PC line of the disassembly starts with '>' and is drawn in inverse video.
 *
 * With several vCPUs (`--cpus N`) the pane shows one of them (the c key picks it: snap.shown.cpu):
 * its title says which ("CPU 2 of 4", numbered from 0 as the Holds pane's vcpu rows are) and its
 * power state (running, powered off, halted) and instruction count; registers and code are its own.
 */
import type { ReactElement } from 'react';
import { Text } from 'ink';
import type { TuiSnapshot } from './model.js';
import { addr, clip, compact, decodeFlags, FLAGS_REG, hex64 } from './format.js';
import { PaneFrame } from './pane-frame.js';
import { useTint, type Tint } from './colours.js';

export interface CpuPaneProps {
  readonly snap: TuiSnapshot;
  /** Names of registers whose value changed since the previous snapshot. */
  readonly changed: ReadonlySet<string>;
  readonly width: number;
  readonly height: number;
  readonly focused: boolean;
}

/** Rows of register cells, each cell "name*value" padded to a common width. */
function registerRows(
  snap: TuiSnapshot,
  changed: ReadonlySet<string>,
  width: number,
  tint: Tint,
): ReactElement[] {
  const regs = snap.cpu.regs.filter((r) => r.name !== FLAGS_REG[snap.arch]);
  const nameW = Math.max(0, ...regs.map((r) => r.name.length));
  const cellW = nameW + 1 + 16 + 1;
  const perRow = Math.max(1, Math.floor((width + 1) / cellW));
  const rows: ReactElement[] = [];
  for (let i = 0; i < regs.length; i += perRow) {
    const cells = regs.slice(i, i + perRow).map((r, j) => {
      const hot = changed.has(r.name);
      return (
        <Text key={r.name}>
          {j > 0 ? ' ' : ''}
          {r.name.padEnd(nameW)}
          {hot ? '*' : ' '}
          <Text bold={hot} color={tint(hot ? 'yellow' : undefined)}>
            {hex64(r.value)}
          </Text>
        </Text>
      );
    });
    rows.push(<Text key={`r${i}`}>{cells}</Text>);
  }
  return rows;
}

/** The flags register on a line of its own: raw value, then the set flags by name. */
function flagsLine(snap: TuiSnapshot, changed: ReadonlySet<string>, width: number, tint: Tint): ReactElement {
  const name = FLAGS_REG[snap.arch];
  const reg = snap.cpu.regs.find((r) => r.name === name);
  const hot = changed.has(name);
  const text = reg ? `${hex64(reg.value)}  ${decodeFlags(snap.arch, reg.value)}` : '?';
  return (
    <Text key="flags" bold={hot} color={tint(hot ? 'yellow' : undefined)}>
      {clip(`${name}${hot ? '*' : ' '}${text}`, width)}
    </Text>
  );
}

function disasmLines(snap: TuiSnapshot, width: number, room: number): ReactElement[] {
  const lines = snap.cpu.disasm;
  if (room <= 0) return [];
  // Keep the PC line in view: centre the window on it when the list is longer than the room.
  const pc = Math.max(
    0,
    lines.findIndex((l) => l.isPc),
  );
  const start = Math.max(0, Math.min(pc - Math.floor(room / 2), lines.length - room));
  return lines.slice(start, start + room).map((l, i) => (
    <Text key={`d${i}`} inverse={l.isPc}>
      {clip(`${l.isPc ? '>' : ' '} ${addr(l.addr, 8)}  ${l.text}`, width)}
    </Text>
  ));
}

/** "CPU" and the run state; with several vCPUs "CPU 2 of 4" and that vCPU's state and count. */
export function cpuTitle(snap: TuiSnapshot): { title: string; detail: string } {
  const v = snap.shown?.cpu;
  if (v === undefined) return { title: 'CPU', detail: snap.run.state };
  return {
    title: `CPU ${v.index} of ${v.count}`,
    detail: `${snap.run.state}, vcpu${v.index} ${v.power}, ${compact(v.instructions)} insns`,
  };
}

export function CpuPane({ snap, changed, width, height, focused }: CpuPaneProps): ReactElement {
  const w = Math.max(1, width - 2);
  const h = Math.max(1, height - 3);
  const tint = useTint();
  const regs = registerRows(snap, changed, w, tint);
  const counters = clip(`insns ${compact(snap.cpu.instructions)}   ${compact(snap.cpu.ips)} insn/s`, w);
  const top: ReactElement[] = [
    ...regs,
    flagsLine(snap, changed, w, tint),
    <Text key="count">{counters}</Text>,
  ];
  const consoleLine =
    snap.console !== undefined ? [<Text key="con">{clip(`console: ${snap.console}`, w)}</Text>] : [];
  const room = h - top.length - 1 - consoleLine.length;
  const body = [
    ...top,
    <Text key="dh" dimColor>
      {clip(`disassembly (${snap.cpu.mode ?? snap.arch})`, w)}
    </Text>,
    ...disasmLines(snap, w, room),
    ...consoleLine,
  ];
  const { title, detail } = cpuTitle(snap);
  return (
    <PaneFrame title={title} index={1} focused={focused} width={width} height={height} detail={detail}>
      {body.slice(0, h)}
    </PaneFrame>
  );
}
