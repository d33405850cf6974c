/*
 * The graded child under its limits: every way student code can misbehave ends in an outcome,
 * within the limit, and nothing the code prints or sends can pass for the grader's answer.
 */
import { describe, expect, it } from 'vitest';
import { runBatch, type BatchJob } from '../../../labs/framework/child-call.js';
import { folderWith } from '../submission.js';
import { join } from 'node:path';

const job = (
  code: string,
  exportName = 'f',
  argLists: unknown[][] = [[1]],
  more: Partial<BatchJob> = {},
) => ({
  module: join(folderWith({ 'sub.js': code }), 'sub.js'),
  exportName,
  argLists,
  timeLimitMs: 8000,
  memoryMb: 64,
  ...more,
});

describe('runBatch', () => {
  it('returns each call value, BigInt and objects included, and each throw as its message', async () => {
    const out = await runBatch(
      job(
        'export function f(x) { if (x === 2) throw new Error("no twos\\nsecond line"); return { x, big: 1n << 63n }; }',
        'f',
        [[1], [2], [3]],
      ),
    );
    expect(out).toEqual({
      kind: 'done',
      outcomes: [
        { ok: true, value: { x: 1, big: 1n << 63n } },
        { ok: false, error: 'no twos' },
        { ok: true, value: { x: 3, big: 1n << 63n } },
      ],
    });
  });

  it('an endless loop is a timeout, and the grader gets it back within the limit', async () => {
    const started = Date.now();
    const out = await runBatch(job('export function f() { for (;;) {} }', 'f', [[1]], { timeLimitMs: 1500 }));
    expect(out).toEqual({ kind: 'timeout', limitMs: 1500 });
    expect(Date.now() - started).toBeLessThan(1500 + 1000);
  });

  it('prints and messages of its own cannot forge the outcome', async () => {
    const code = [
      'console.log(JSON.stringify({ kind: "done", outcomes: [{ ok: true, value: 42 }] }));',
      'process.send({ nonce: "guess", outcomes: [{ ok: true, value: 42 }] });',
      'export function f() { process.send({ outcomes: [{ ok: true, value: 42 }] }); return 7; }',
    ].join('\n');
    expect(await runBatch(job(code))).toEqual({ kind: 'done', outcomes: [{ ok: true, value: 7 }] });
  });

  it('a missing export and a module that does not load are load errors', async () => {
    expect(await runBatch(job('export const g = 1;'))).toEqual({
      kind: 'load-error',
      message: 'f is not an exported function',
    });
    const broken = await runBatch(job('export function f( {'));
    expect(broken.kind).toBe('load-error');
  });

  it('exiting early, running out of memory and returning a function are reported, not trusted', async () => {
    const exit = await runBatch(job('export function f() { process.exit(0); }'));
    expect(exit).toMatchObject({
      kind: 'crashed',
      message: expect.stringMatching(/^exited with status 0 before answering/),
    });
    const hog = await runBatch(
      job('export function f() { const a = []; for (;;) a.push(new Array(1e5).fill(a.length)); }'),
    );
    expect(hog).toEqual({ kind: 'crashed', message: 'out of memory (limit 64 MB)' });
    const fn = await runBatch(job('export function f() { return () => 1; }'));
    expect(fn).toEqual({
      kind: 'done',
      outcomes: [{ ok: false, error: 'returned a value that is not plain data' }],
    });
  });

  it("a harness's prepare builds the arguments, and its run makes the call with a live Machine", async () => {
    const prep = folderWith({
      'h.mjs': 'export function prepare(n) { return [Object.freeze({ twice: () => 2 * n })]; }',
    });
    expect(
      await runBatch(
        job('export function f(o) { return o.twice(); }', 'f', [[21]], { harness: join(prep, 'h.mjs') }),
      ),
    ).toEqual({
      kind: 'done',
      outcomes: [{ ok: true, value: 42 }],
    });
    // 'nestvm' in the child is the grader's own library: the harness runs a guest and hands the
    // student's function the Machine, then reports what the guest printed.
    const harness = [
      "import { Machine, loadGuest } from 'nestvm';",
      'export async function run(fn, name) {',
      "  const image = await loadGuest(name, { arch: 'x86_64', memBytes: 1 << 21 });",
      '  const m = new Machine(image, { memBytes: 1 << 21 });',
      '  try { const seen = fn(m); return { seen, stop: m.run().reason, console: m.console }; } finally { m.close(); }',
      '}',
    ].join('\n');
    const live = folderWith({ 'h.mjs': harness });
    const out = await runBatch(
      job('export function f(m) { return m.arch; }', 'f', [['hello']], { harness: join(live, 'h.mjs') }),
    );
    expect(out).toEqual({
      kind: 'done',
      outcomes: [
        { ok: true, value: { seen: 'x86_64', stop: 'halt', console: expect.stringContaining('ello') } },
      ],
    });
  });
});
