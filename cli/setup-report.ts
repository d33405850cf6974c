/*
 * What `nestvm setup` (`nestvm doctor`) reports once set-up has run: which Unicorn the binding
 * loads, and from where; the instruction counter engines use (the block counter set-up built, or
 * Unicorn's count hook, and why); koffi, Ink (checked against the version the live view's patches are
 * written for) and Node; and the terminal the live view would draw on (is stdout
 * a terminal, TERM, its size, colour and NO_COLOR, tmux on PATH and whether this shell is inside
 * it). `setupReport` gathers the facts into one plain object, which is also the `--json` output;
 * `setupText` lays it out for people. Gathering loads the library afresh from the path the
 * binding would use (a failure is the binding's UnicornLoadError, exit status 8) and changes
 * nothing.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import koffi from 'koffi';
import { counterChoice, type CounterKind } from '../emulator/unicorn/block-shim.js';
import { librarySource, loadLibraryAt } from '../emulator/unicorn/library.js';
import { INK_PATCHED_VERSION, inkVersionNote, installedInkVersion } from './tui/ink-version.js';

/** The parts of an output stream the terminal report reads (all optional: a pipe has none). */
export interface TerminalProbe {
  isTTY?: boolean;
  columns?: number;
  rows?: number;
  getColorDepth?: () => number;
}

export interface SetupReport {
  unicorn: { version: string; path: string; from: 'env' | 'record' | 'system'; record?: string };
  koffi: { version: string };
  /** Which instruction counter engines use (emulator/unicorn/block-shim.ts), and why. */
  counter: { kind: CounterKind; why: string };
  /** The Ink the live view loads, and whether its fast paths are written for that version. */
  ink: { version: string | null; patched: boolean };
  node: { version: string; platform: string; arch: string };
  cacheDir: string;
  terminal: {
    isTTY: boolean;
    term: string | null;
    columns: number | null;
    rows: number | null;
    color: { on: boolean; why: string };
    tmux: { path: string | null; inside: boolean };
  };
}

/** The first executable `name` on PATH, or null. */
export function onPath(name: string, env: NodeJS.ProcessEnv): string | null {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      /* not here */
    }
  }
  return null;
}

const DEPTH_NAME: Record<number, string> = {
  1: 'no colours',
  4: '16 colours',
  8: '256 colours',
  24: '24-bit colour',
};

function colourOf(out: TerminalProbe, env: NodeJS.ProcessEnv): { on: boolean; why: string } {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return { on: false, why: 'NO_COLOR is set' };
  if (out.isTTY !== true) return { on: false, why: 'stdout is not a terminal' };
  const depth = out.getColorDepth?.() ?? 1;
  return { on: depth > 1, why: DEPTH_NAME[depth] ?? `${depth}-bit colour` };
}

export function terminalReport(out: TerminalProbe, env: NodeJS.ProcessEnv): SetupReport['terminal'] {
  return {
    isTTY: out.isTTY === true,
    term: env.TERM ?? null,
    columns: out.isTTY === true ? (out.columns ?? null) : null,
    rows: out.isTTY === true ? (out.rows ?? null) : null,
    color: colourOf(out, env),
    tmux: { path: onPath('tmux', env), inside: (env.TMUX ?? '') !== '' },
  };
}

export function setupReport(out: TerminalProbe, env: NodeJS.ProcessEnv, cacheDir: string): SetupReport {
  const source = librarySource(env);
  const lib = loadLibraryAt(source.file);
  return {
    unicorn: { version: lib.version, path: lib.path, from: source.from, record: source.record },
    koffi: { version: (koffi as unknown as { version: string }).version },
    counter: counterReport(env),
    ink: inkReport(installedInkVersion()),
    node: { version: process.versions.node, platform: process.platform, arch: process.arch },
    cacheDir,
    terminal: terminalReport(out, env),
  };
}

function counterReport(env: NodeJS.ProcessEnv): SetupReport['counter'] {
  const c = counterChoice(env);
  return { kind: c.kind, why: c.why };
}

export function inkReport(version: string | null): SetupReport['ink'] {
  return { version, patched: inkVersionNote(version) === null };
}

function inkLine(i: SetupReport['ink']): string {
  const v = i.version ?? '(version unknown)';
  return i.patched
    ? `${v} (the live view's fast paths are written for it)`
    : `${v}: the live view's fast paths are written for Ink ${INK_PATCHED_VERSION}, so it draws on Ink's own slower path`;
}

const FROM_TEXT = {
  env: () => 'from NESTVM_LIBUNICORN',
  record: (r: SetupReport['unicorn']) => `recorded in ${r.record}`,
  system: () => 'found by the system loader',
};

function terminalLine(t: SetupReport['terminal']): string {
  const where = t.isTTY
    ? `stdout is a terminal, ${t.columns ?? '?'}x${t.rows ?? '?'}`
    : 'stdout is not a terminal';
  return `${where}, TERM=${t.term ?? '(unset)'}, colour ${t.color.on ? 'on' : 'off'} (${t.color.why})`;
}

function tmuxLine(t: SetupReport['terminal']): string {
  const inside = t.tmux.inside ? 'this shell is inside tmux' : 'this shell is not inside tmux';
  return t.tmux.path === null ? `not on PATH (${inside})` : `${t.tmux.path} (${inside})`;
}

export function setupText(r: SetupReport): string {
  return [
    'nestvm is ready',
    `  unicorn   ${r.unicorn.version} at ${r.unicorn.path}`,
    `            ${FROM_TEXT[r.unicorn.from](r.unicorn)}`,
    `  koffi     ${r.koffi.version}`,
    `  counter   ${r.counter.why}`,
    `  ink       ${inkLine(r.ink)}`,
    `  node      ${r.node.version} (${r.node.platform} ${r.node.arch})`,
    `  cache     ${r.cacheDir}`,
    `  terminal  ${terminalLine(r.terminal)}`,
    `  tmux      ${tmuxLine(r.terminal)}`,
    '',
    'try: nestvm run hello   (nestvm guests lists the bundled samples)',
    '',
  ].join('\n');
}
