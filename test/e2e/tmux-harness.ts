/*
 * A tmux server on a private socket for an end-to-end test of the live view: start a command in a
 * detached session of a chosen size, read the screen as the user sees it (capture-pane), type keys
 * (send-keys) and wait for their visible effect, and kill the server at the end whatever happened.
 * `requireTmux` fails the test with a pointer to the setup script when tmux or the build is missing.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const WAIT_MS = 20_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function requireTmux(bin: string): void {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
  } catch {
    throw new Error('tmux is missing: run `bash scripts/setup.sh test` (or install tmux) to run this test');
  }
  if (!existsSync(bin)) throw new Error(`${bin} is missing: build first (npm run build; npm test does it)`);
}

export class TmuxServer {
  constructor(
    private readonly socket: string,
    private readonly target: string,
  ) {}

  tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }

  start(command: string, columns: number, rows: number): void {
    this.tmux('new-session', '-d', '-s', this.target, '-x', String(columns), '-y', String(rows), command);
  }

  screen(): string {
    return this.tmux('capture-pane', '-p', '-t', this.target);
  }

  /** Poll until the screen matches; fail with the last screen after WAIT_MS. */
  async waitFor(pattern: RegExp, what: string): Promise<string> {
    const until = Date.now() + WAIT_MS;
    let last = '';
    while (Date.now() < until) {
      last = this.screen();
      if (pattern.test(last)) return last;
      await sleep(100);
    }
    throw new Error(`timed out waiting for ${what} (${pattern}); the terminal shows:\n${last}`);
  }

  /** Type one key and wait for what it should show. */
  press(key: string, pattern: RegExp, what: string): Promise<string> {
    this.tmux('send-keys', '-t', this.target, key);
    return this.waitFor(pattern, what);
  }

  /** Wait until `check` holds (or WAIT_MS passed). */
  async until(check: () => boolean): Promise<void> {
    const end = Date.now() + WAIT_MS;
    while (!check() && Date.now() < end) await sleep(100);
  }

  kill(): void {
    try {
      this.tmux('kill-server');
    } catch {
      // already gone
    }
  }
}
