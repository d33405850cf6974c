/*
 * GPT pane (pure): the nested page table of the guest.
 *
 *   - the format and its root pointer (EPTP / nCR3 / VTTBR) raw and decoded, and the generation;
 *   - the tree level by level: how many tables are populated and their reference counts;
 *   - the walk of the page under the cursor: every entry from the root down, with its location in
 *     host memory, its raw value and its bits decoded;
 *   - when the guest pages, the two-dimensional walk of the chosen GVA as the list of references.
 *
 * Two densities: the raw value and the decoded fields of an entry get lines of their own when
 * that fits the pane; otherwise each entry takes one line (fields after the raw value) and the
 * level table shrinks to one line. Field names and meanings come from mmu/gpt's decoder. A line
 * that does not fit the width is wrapped, not cut, so a raw entry value and its location are never
 * lost; only the packed form's decoded fields, after the raw value, are cut (zoom shows them).
 */
import type { ReactElement } from 'react';
import { Text } from 'ink';
import type { Field, LevelInfo, TuiSnapshot, Walk2dRef, WalkStep } from './model.js';
import { FORMAT_LABEL, ROOT_POINTER_NAME } from './model.js';
import { addr, clip, hex64, wrap } from './format.js';
import { PaneFrame } from './pane-frame.js';

export interface GptPaneProps {
  readonly snap: TuiSnapshot;
  readonly width: number;
  readonly height: number;
  readonly focused: boolean;
}

interface Line {
  readonly text: string;
  readonly bold?: boolean;
  readonly dim?: boolean;
  /** Columns at the start that must be shown whole; the rest may be cut (default: all of it). */
  readonly keep?: number;
}

/** Lines as the screen shows them at `width`: each fits, wrapped where cutting would lose a value. */
function onScreen(lines: readonly Line[], width: number): Line[] {
  return lines.flatMap((l) => {
    if (l.text.length <= width) return [l];
    if (l.keep !== undefined && l.keep < width) return [{ ...l, text: clip(l.text, width) }];
    return wrap(l.text, width, '    ').map((text) => ({ ...l, text }));
  });
}

export const fieldsText = (fields: readonly Field[]): string =>
  fields.map((f) => `${f.name}=${f.value}`).join(' ');

function refText(r: LevelInfo['refcounts']): string {
  if ('total' in r) return `refs ${r.min}..${r.max} sum ${r.total}`;
  if (r.length <= 6) return `refs ${r.join(' ')}`;
  return `refs ${r.slice(0, 6).join(' ')} ...`;
}

function levelLines(levels: readonly LevelInfo[], compactMode: boolean): Line[] {
  if (compactMode) {
    return [{ text: 'tables: ' + levels.map((l) => `L${l.level} ${l.tables}`).join(', ') }];
  }
  return levels.map((l) => ({
    text: `L${l.level}  ${String(l.tables).padStart(3)} table${l.tables === 1 ? ' ' : 's'}  ${refText(l.refcounts)}${l.unbacked ? `  (${l.unbacked} unbacked)` : ''}`,
  }));
}

/** Fields packed into lines of at most `width` columns, each line indented by `indent`. */
export function packFields(fields: readonly Field[], width: number, indent: string): string[] {
  const lines: string[] = [];
  let cur = '';
  for (const f of fields) {
    const item = `${f.name}=${f.value}`;
    if (cur && indent.length + cur.length + 1 + item.length > width) {
      lines.push(indent + cur);
      cur = item;
    } else cur = cur ? `${cur} ${item}` : item;
  }
  if (cur) lines.push(indent + cur);
  return lines;
}

function walkLines(walk: readonly WalkStep[], compactMode: boolean, width: number): Line[] {
  const out: Line[] = [];
  for (const s of walk) {
    const head = `L${s.level}[${String(s.index).padStart(3)}] @${addr(s.pteHpa)} ${hex64(s.raw)} ${s.kind}`;
    if (compactMode) out.push({ text: `${head} ${fieldsText(s.fields)}`, keep: head.length });
    else
      out.push({ text: head }, ...packFields(s.fields, width, '      ').map((text) => ({ text, dim: true })));
  }
  return out;
}

function walk2dLine(r: Walk2dRef): Line {
  const at =
    r.hpa === undefined ? '' : r.space === 'data' ? ` -> hpa ${addr(r.hpa)}` : ` @hpa ${addr(r.hpa)}`;
  const raw = r.raw !== undefined ? ` = ${hex64(r.raw)}` : '';
  const note = r.note ? ` ${r.note}` : '';
  return {
    text: `${r.order === null ? '=>' : String(r.order).padStart(2)} ${r.space.padEnd(6)} ${r.level.padEnd(5)} gpa ${addr(r.gpa)}${at}${raw}${note}`,
  };
}

/** The roomy form (an entry's fields on lines of their own) when it fits, else the packed one. */
export function gptLines(snap: TuiSnapshot, height: number, width: number): Line[] {
  const roomy = onScreen(buildLines(snap, false, width), width);
  return roomy.length <= height ? roomy : onScreen(buildLines(snap, true, width), width);
}

function buildLines(snap: TuiSnapshot, compactMode: boolean, width: number): Line[] {
  const gpt = snap.gpt;
  const sel = snap.selection;
  const lines: Line[] = [
    {
      text: `${FORMAT_LABEL[gpt.format]}  ${ROOT_POINTER_NAME[gpt.format]} ${hex64(gpt.rootPointer.raw)}  gen ${gpt.generation}`,
      bold: true,
    },
    ...packFields(gpt.rootPointer.fields, width, '  ').map((text) => ({ text })),
    ...levelLines(gpt.levels, compactMode),
    { text: sel.gpa === null ? 'walk: no page selected' : `walk of gpa ${addr(sel.gpa)}:`, bold: true },
  ];
  if (sel.gpa !== null && sel.walk.length === 0)
    lines.push({ text: '  (no tables yet on this path)', dim: true });
  lines.push(...walkLines(sel.walk, compactMode, width));
  if (!snap.guestPaging) return lines;
  if (!sel.walk2d || sel.gva === undefined || sel.gva === null) {
    lines.push({ text: '2D walk: pick a fault with a GVA (Enter in the fault log)', dim: true });
    return lines;
  }
  const count = sel.walk2d.filter((r) => r.order !== null).length;
  lines.push({ text: `2D walk of gva ${addr(sel.gva, 12)}: ${count} references`, bold: true });
  lines.push(...sel.walk2d.map(walk2dLine));
  return lines;
}

export function GptPane({ snap, width, height, focused }: GptPaneProps): ReactElement {
  const w = Math.max(1, width - 2);
  const h = Math.max(1, height - 3);
  const lines = gptLines(snap, h, w);
  return (
    <PaneFrame title="GPT" index={5} focused={focused} width={width} height={height} detail={snap.format}>
      {lines.slice(0, h).map((l, i) => (
        <Text key={i} bold={l.bold} dimColor={l.dim}>
          {l.text}
        </Text>
      ))}
    </PaneFrame>
  );
}
