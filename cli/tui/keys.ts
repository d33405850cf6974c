/*
 * The key map: which key means what, as a pure function from a key press to a command, plus the
 * plain-words description of every key that the help screen prints. Keeping both here means the
 * help screen cannot drift from what the keys actually do.
 *
 * Arrows mean "move" everywhere; the container decides what moves: in the fault log and the holds
 * list they scroll, in the CPU, dirty, GPT and frames panes they move the page cursor.
 */
import type { CursorMove } from './dirty-grid.js';
import type { PaneId } from './layout.js';
import { PANES } from './layout.js';

export type Command =
  | { type: 'toggle-run' }
  | { type: 'step' }
  | { type: 'slice' }
  | { type: 'speed'; step: 1 | -1 }
  | { type: 'harvest' }
  | { type: 'toggle-dirty' }
  | { type: 'reset-accessed' }
  | { type: 'evict' }
  | { type: 'toggle-region' }
  | { type: 'show'; which: 'cpu' | 'vm'; step: 1 | -1 }
  | { type: 'move'; move: CursorMove }
  | { type: 'focus-next' }
  | { type: 'focus-prev' }
  | { type: 'focus'; pane: PaneId }
  | { type: 'filter' }
  | { type: 'select-entry' }
  | { type: 'follow' }
  | { type: 'zoom' }
  | { type: 'help' }
  | { type: 'quit' }
  | { type: 'none' };

/** The parts of Ink's Key the map looks at (so tests can build keys by hand). */
export interface KeyLike {
  readonly upArrow?: boolean;
  readonly downArrow?: boolean;
  readonly leftArrow?: boolean;
  readonly rightArrow?: boolean;
  readonly pageUp?: boolean;
  readonly pageDown?: boolean;
  readonly home?: boolean;
  readonly end?: boolean;
  readonly return?: boolean;
  readonly escape?: boolean;
  readonly tab?: boolean;
  readonly shift?: boolean;
  readonly ctrl?: boolean;
}

const LETTERS: Record<string, Command> = {
  ' ': { type: 'toggle-run' },
  s: { type: 'step' },
  n: { type: 'slice' },
  '-': { type: 'speed', step: -1 },
  '+': { type: 'speed', step: 1 },
  '=': { type: 'speed', step: 1 },
  h: { type: 'harvest' },
  d: { type: 'toggle-dirty' },
  a: { type: 'reset-accessed' },
  e: { type: 'evict' },
  u: { type: 'toggle-region' },
  f: { type: 'filter' },
  c: { type: 'show', which: 'cpu', step: 1 },
  C: { type: 'show', which: 'cpu', step: -1 },
  v: { type: 'show', which: 'vm', step: 1 },
  V: { type: 'show', which: 'vm', step: -1 },
  z: { type: 'zoom' },
  '[': { type: 'move', move: 'prev-page' },
  ']': { type: 'move', move: 'next-page' },
  '?': { type: 'help' },
  q: { type: 'quit' },
};

function arrow(key: KeyLike): CursorMove | null {
  if (key.upArrow) return 'up';
  if (key.downArrow) return 'down';
  if (key.leftArrow) return 'left';
  if (key.rightArrow) return 'right';
  if (key.pageUp) return 'page-up';
  if (key.pageDown) return 'page-down';
  if (key.home) return 'home';
  if (key.end) return 'end';
  return null;
}

export function keyToCommand(input: string, key: KeyLike, helpOpen: boolean): Command {
  if (key.ctrl && input === 'c') return { type: 'quit' };
  if (helpOpen) {
    if (input === 'q') return { type: 'quit' };
    if (input === '?' || key.escape) return { type: 'help' };
    const scroll = arrow(key);
    return scroll ? { type: 'move', move: scroll } : { type: 'none' };
  }
  if (key.tab) return key.shift ? { type: 'focus-prev' } : { type: 'focus-next' };
  const move = arrow(key);
  if (move) return { type: 'move', move };
  if (key.return) return { type: 'select-entry' };
  if (key.escape) return { type: 'follow' };
  const digit = Number(input);
  if (input.length === 1 && digit >= 1 && digit <= PANES.length)
    return { type: 'focus', pane: PANES[digit - 1].id };
  return LETTERS[input] ?? { type: 'none' };
}

/** Every key, in plain words, in the order the help screen lists them. */
export const KEY_HELP: readonly { keys: string; what: string }[] = [
  { keys: 'space', what: 'run or pause the guest' },
  {
    keys: 's',
    what:
      'step: run exactly one guest instruction, then pause (the machine steps: with several vCPUs or ' +
      'guests, the one whose turn it is, whichever the panes show)',
  },
  { keys: 'n', what: 'next slice: run one slice of instructions, then pause' },
  {
    keys: '- +',
    what: 'run slower / faster: full speed, then 1,000,000 down to 10 instructions a second',
  },
  { keys: 'h', what: 'harvest the dirty log now: count dirty pages and clear their dirty bits' },
  { keys: 'd', what: 'turn dirty tracking on or off' },
  { keys: 'a', what: 'reset the accessed bits of all guest pages' },
  { keys: 'e', what: 'evict: disconnect the host frame of the selected page from every PTE' },
  { keys: 'u', what: 'unmap the region holding the selected page, or map it back' },
  {
    keys: 'c C',
    what: 'with --cpus N: show the next / previous vCPU in the CPU pane (its registers, code and state)',
  },
  {
    keys: 'v V',
    what: 'with several guests: show the next / previous guest in every pane (the status bar names it)',
  },
  { keys: 'arrows', what: 'move the page cursor (in Faults and Holds: scroll the list)' },
  { keys: '[ ]', what: 'move the page cursor by exactly one page' },
  { keys: 'PgUp PgDn', what: 'move the page cursor eight rows (in a list or this help: a screenful)' },
  { keys: 'Home End', what: 'cursor to the first / last page (or top / bottom of a list)' },
  { keys: 'Tab', what: 'focus the next pane (shift+Tab: the previous one)' },
  { keys: '1-6', what: 'focus a pane by its number (on a small screen: show that tab)' },
  {
    keys: 'f',
    what: 'filter the fault log: all, read, write, exec, mmio, evict, major (swap-in), watch, action',
  },
  { keys: 'Enter', what: "in the fault log: select that fault's page (and its GVA)" },
  { keys: 'Esc', what: 'fault log follows the newest entries again' },
  { keys: 'z', what: 'zoom: show the focused pane alone (large screens)' },
  { keys: '?', what: 'open or close this help' },
  { keys: 'q', what: 'quit and give the terminal back' },
];
