/*
 * Help screen (pure): what every pane shows and what every key does, in plain words for a student
 * meeting nested paging for the first time. The key list comes from keys.ts, so it always matches
 * the real key map. On a small terminal the text scrolls (the container passes the offset).
 */
import type { ReactElement } from 'react';
import { Box, Text } from 'ink';
import { KEY_HELP } from './keys.js';
import { clip } from './format.js';

export const PANE_HELP: readonly { title: string; text: string }[] = [
  {
    title: '1 CPU',
    text:
      "The guest's registers. A '*' after a name means the value changed since the screen was last drawn. " +
      "Below them: the instructions around the program counter (the line marked '>' runs next), how many " +
      'instructions have run, and how many run per second. With several vCPUs (--cpus N) the pane shows one ' +
      'of them, "CPU 2 of 4" being vcpu2 (c picks the next): its own registers and code, and whether it is ' +
      'running, powered off (not started yet, or stopped itself) or halted. With several guests the status ' +
      'bar names the guest every pane shows (v picks the next).',
  },
  {
    title: '2 Faults',
    text:
      'When the guest touches a guest-physical page that the nested page table does not allow yet, the CPU ' +
      'leaves the guest (a nested page fault, a "VM exit") and the hypervisor deals with it: it maps memory ' +
      '(mapped), passes the access to a device model (MMIO), or stops the guest (nomap: no mapping; rights: ' +
      'not enough rights). Each line shows the number of the event (seq), the kind of access, the result, the ' +
      'guest-physical address (gpa), the host frame that now backs the page (frame), and the guest-virtual ' +
      'address (gva) when the guest uses its own page tables. A "filled" line is a walk that found the page ' +
      'already mapped: no exit. ' +
      'Everything you do with the keys is logged here as an "action".',
  },
  {
    title: '3 Holds',
    text:
      "Clients are the hypervisor's handles on guest memory, one per vCPU and per device. IDLE: nothing " +
      'happening. ACTIVE: inside a fault or a hold. HOLD: kept out while a change to the memory map runs. ' +
      'ON_CPU: the vCPU is running guest code on these tables. ORPHANED: its memory space is gone. DESTROY: ' +
      'being torn down. A hold pins one guest page while a device or the emulator reads or writes it; ' +
      '"deferred-dirty" means releasing it will not mark the page dirty yet; holds in one chain are released together. ' +
      "With several vCPUs, '>' marks the row of the vCPU the CPU pane shows.",
  },
  {
    title: '4 Dirty',
    text:
      "A map of guest memory, one character per page (or per group of pages when memory is large). '.' not " +
      "mapped, 'o' mapped, 'a' read or written since the accessed bits were last reset, 'D' written since the " +
      'last harvest. Harvesting collects and clears the dirty pages; it is how live migration finds the pages it ' +
      "must copy again. '@' is the cursor: the page the GPT and Frames panes describe.",
  },
  {
    title: '5 GPT',
    text:
      'The nested page table: its format (Intel EPT, AMD nPT or Arm stage-2), the root pointer register ' +
      '(EPTP, nCR3 or VTTBR) and what its bits mean, and the generation, which goes up whenever translations ' +
      'are taken away so that cached ones get flushed. Then how many tables exist at each level (L4 is the ' +
      'root, L1 holds the page entries) and their reference counts. "walk" lists the entries the hardware ' +
      'reads to translate the page under the cursor, root first, with their bits decoded. With guest paging, ' +
      'the 2D walk shows that every read of a guest page table is itself translated through the nested table.',
  },
  {
    title: '6 Frames',
    text:
      'The host side of the selected page: the host frame behind it, and its PV head, the list of every ' +
      'page-table entry (PTE) that maps this frame, so the host can find and remove them all at once (that is ' +
      'what evict does). Then the pools: spare PV entries, and page-table pages in use, cached, in reserve, ' +
      'and stolen when host memory ran short.',
  },
];

/** Greedy word wrap to `width` columns. */
export function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (!word) continue;
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out;
}

export function helpLines(width: number, sliceSize: number): string[] {
  const w = Math.max(20, width);
  const lines = ['nestvm live view: help   (? or Esc closes, arrows scroll, q quits)', '', 'THE PANES'];
  for (const p of PANE_HELP) {
    lines.push('', p.title);
    lines.push(...wrap(p.text, w - 2).map((l) => '  ' + l));
  }
  lines.push('', 'THE KEYS', '');
  const kw = Math.max(...KEY_HELP.map((k) => k.keys.length)) + 2;
  for (const k of KEY_HELP) {
    const what = k.keys === 'n' ? `${k.what} (${sliceSize} instructions)` : k.what;
    const wrapped = wrap(what, w - kw - 2);
    lines.push(`  ${k.keys.padEnd(kw)}${wrapped[0] ?? ''}`);
    for (const more of wrapped.slice(1)) lines.push(' '.repeat(kw + 2) + more);
  }
  return lines;
}

export interface HelpScreenProps {
  readonly width: number;
  readonly height: number;
  readonly scroll: number;
  readonly sliceSize: number;
}

export function HelpScreen({ width, height, scroll, sliceSize }: HelpScreenProps): ReactElement {
  const inner = Math.max(1, width - 4);
  const room = Math.max(1, height - 2);
  const lines = helpLines(inner, sliceSize);
  const top = Math.max(0, Math.min(scroll, lines.length - room));
  return (
    <Box
      flexDirection="column"
      width={width}
      height={height}
      borderStyle="double"
      paddingX={1}
      overflow="hidden"
    >
      {lines.slice(top, top + room).map((l, i) => (
        <Text key={i} bold={l === 'THE PANES' || l === 'THE KEYS'}>
          {clip(l, inner) || ' '}
        </Text>
      ))}
    </Box>
  );
}
