/*
 * Runs a batch of calls to a student's function in a child process, under a time limit and a
 * memory limit, and brings back each call's outcome (lab-api.ts's BatchOutcome).
 *
 *   grader process                                   child (labs/framework/child.mjs)
 *   ──────────────                                   ─────
 *   spawn node --max-old-space-size=M child.mjs  ──► waits for one job on the IPC channel
 *   send { nonce, module, exportName, argLists } ──► imports the module, calls the export per list
 *   kill timer (SIGKILL at the limit)                prints go to piped stdout/stderr, unread
 *   'message' with the nonce ◄────────────────────── { nonce, outcomes } or { nonce, loadError }
 *
 * Invariants:
 *  - the promise always settles, and never rejects: a child that loops is killed at the limit
 *    ('timeout'), one that dies or exits first is 'crashed' (with the reason), one that answers is
 *    'done' or 'load-error';
 *  - only a message carrying this batch's nonce (a fresh random value) counts; whatever else
 *    arrives on the channel, and everything the child writes to stdout, is ignored;
 *  - the channel uses Node's advanced serialisation, so BigInt, typed arrays and Maps cross it;
 *  - the child is gone when the promise settles (killed if it still ran).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { packagePath } from '../../index.js';
import type { BatchOutcome, CallOutcome } from './lab-api.js';

export interface BatchJob {
  /** Absolute path of the student's module. */
  readonly module: string;
  readonly exportName: string;
  readonly argLists: readonly (readonly unknown[])[];
  readonly timeLimitMs: number;
  readonly memoryMb: number;
  /** Absolute path of a lab harness module whose prepare() builds the arguments. */
  readonly harness?: string;
}

const CHILD = packagePath('labs', 'framework', 'child.mjs');
const LIBRARY = packagePath('dist', 'index.js');
/** How much of the child's stderr a crash report keeps. */
const STDERR_KEEP = 4096;

interface Reply {
  nonce?: unknown;
  outcomes?: CallOutcome[];
  loadError?: string;
}

export function runBatch(job: BatchJob): Promise<BatchOutcome> {
  const nonce = randomBytes(16).toString('hex');
  const child = spawn(process.execPath, [`--max-old-space-size=${job.memoryMb}`, CHILD], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'advanced',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  let stderr = '';
  child.stdout?.resume();
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-STDERR_KEEP)));
  return new Promise<BatchOutcome>((resolve) => {
    let settled: BatchOutcome | null = null;
    const settle = (outcome: BatchOutcome) => {
      if (settled !== null) return;
      settled = outcome;
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      resolve(outcome);
    };
    const timer = setTimeout(() => settle({ kind: 'timeout', limitMs: job.timeLimitMs }), job.timeLimitMs);
    child.on('message', (m: Reply) => {
      if (m === null || typeof m !== 'object' || m.nonce !== nonce) return;
      if (typeof m.loadError === 'string') settle({ kind: 'load-error', message: m.loadError });
      else if (Array.isArray(m.outcomes) && m.outcomes.length === job.argLists.length)
        settle({ kind: 'done', outcomes: m.outcomes });
      else settle({ kind: 'crashed', message: 'answered with the wrong number of outcomes' });
    });
    child.on('error', (err) => settle({ kind: 'crashed', message: err.message }));
    child.on('exit', (code, signal) =>
      // 'exit' can come before the last 'message' is handled: give the channel one turn to drain.
      setImmediate(() =>
        settle({ kind: 'crashed', message: crashReason(code, signal, stderr, job.memoryMb) }),
      ),
    );
    child.send({
      nonce,
      module: job.module,
      exportName: job.exportName,
      argLists: job.argLists,
      harness: job.harness,
      library: existsSync(LIBRARY) ? pathToFileURL(LIBRARY).href : undefined,
    });
  });
}

/* Why a child ended without answering, in one line. */
function crashReason(
  code: number | null,
  signal: NodeJS.Signals | null,
  stderr: string,
  memoryMb: number,
): string {
  if (/heap out of memory|Allocation failed/i.test(stderr)) return `out of memory (limit ${memoryMb} MB)`;
  if (signal !== null) return `killed by ${signal}`;
  const last = stderr.trim().split('\n').filter(Boolean).pop();
  return `exited with status ${code} before answering${last === undefined ? '' : `: ${last.slice(0, 200)}`}`;
}
