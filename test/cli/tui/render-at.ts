/*
 * Render an Ink tree into a fake terminal of a chosen size (ink-testing-library's terminal is
 * always 100 columns wide, too narrow for the grid layout). Mirrors ink-testing-library: debug
 * mode, so every frame is written whole and lastFrame() is the screen as the user would see it.
 */
import { EventEmitter } from 'node:events';
import type { ReactElement } from 'react';
import { render } from 'ink';

export class FakeStdout extends EventEmitter {
  readonly frames: string[] = [];
  isTTY = true;
  constructor(
    public columns: number,
    public rows: number,
  ) {
    super();
  }
  write = (frame: string): boolean => {
    this.frames.push(frame);
    return true;
  };
}

export class FakeStdin extends EventEmitter {
  isTTY = true;
  private data: string | null = null;
  write = (data: string): void => {
    this.data = data;
    this.emit('readable');
    this.emit('data', data);
  };
  read = (): string | null => {
    const d = this.data;
    this.data = null;
    return d;
  };
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}

export interface Rendered {
  lastFrame(): string;
  /** Frames written so far (debug mode writes one per React commit). */
  frameCount(): number;
  /** Type keys; resolves after Ink and React have handled them. */
  press(...keys: string[]): Promise<void>;
  unmount(): void;
  waitUntilExit(): Promise<unknown>;
}

export const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));

export const KEY = {
  up: '\u001B[A',
  down: '\u001B[B',
  right: '\u001B[C',
  left: '\u001B[D',
  tab: '\t',
  shiftTab: '\u001B[Z',
  enter: '\r',
  escape: '\u001B',
  ctrlC: '\u0003',
  home: '\u001B[H',
  end: '\u001B[F',
  pageUp: '\u001B[5~',
  pageDown: '\u001B[6~',
} as const;

export function renderAt(tree: ReactElement, columns: number, rows: number): Rendered {
  const stdout = new FakeStdout(columns, rows);
  const stdin = new FakeStdin();
  const instance = render(tree, {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stderr: new FakeStdout(columns, rows) as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    debug: true,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  return {
    lastFrame: () => stdout.frames[stdout.frames.length - 1] ?? '',
    frameCount: () => stdout.frames.length,
    async press(...keys: string[]) {
      for (const k of keys) {
        stdin.write(k);
        await tick(5);
      }
      await tick(5);
    },
    unmount: () => instance.unmount(),
    waitUntilExit: () => instance.waitUntilExit(),
  };
}
