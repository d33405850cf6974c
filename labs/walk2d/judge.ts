/*
 * How lab `walk2d` judges one answer of the student's walk2d(): the references first, one by
 * one (dimension, level, host-physical location, value), then the result. The message names
 * the first difference, so a student sees which reference of which walk went wrong.
 */
import type { Expected, ExpectedRef } from './layout.js';

const hex = (n: number | bigint) => '0x' + n.toString(16);

const refText = (r: ExpectedRef) => `${r.dim} L${r.level} at hpa ${hex(r.hpa)} = ${hex(r.value)}`;

function refProblem(i: number, got: unknown, want: ExpectedRef): string | null {
  const g = got as Partial<ExpectedRef> | null;
  if (g === null || typeof g !== 'object') return `reference #${i + 1} is ${String(got)}, not an object`;
  const same = g.dim === want.dim && g.level === want.level && g.hpa === want.hpa;
  if (!same)
    return `reference #${i + 1} is ${String(g.dim)} L${String(g.level)} at hpa ${typeof g.hpa === 'number' ? hex(g.hpa) : String(g.hpa)}, expected ${refText(want)}`;
  if (g.value !== want.value)
    return `reference #${i + 1} (${want.dim} L${want.level}) has value ${typeof g.value === 'bigint' ? hex(g.value) : String(g.value)}, expected ${hex(want.value)}`;
  return null;
}

function resultProblem(got: unknown, want: Expected['result']): string | null {
  const g = got as Record<string, unknown> | null;
  const w = want as unknown as Record<string, unknown>;
  const text = (r: Record<string, unknown>) =>
    Object.entries(r)
      .map(([k, v]) => `${k}: ${typeof v === 'number' && k !== 'level' ? hex(v) : String(v)}`)
      .join(', ');
  if (g === null || typeof g !== 'object') return `result is ${String(got)}, expected { ${text(w)} }`;
  for (const k of Object.keys(w))
    if (g[k] !== w[k]) return `result is { ${text(g)} }, expected { ${text(w)} }`;
  return null;
}

export const judgeWalk =
  (want: Expected) =>
  (got: unknown): string | null => {
    const g = got as { refs?: unknown; result?: unknown } | null;
    if (g === null || typeof g !== 'object' || !Array.isArray(g.refs))
      return 'returned no { refs: [...], result } object';
    const n = Math.min(g.refs.length, want.refs.length);
    for (let i = 0; i < n; i++) {
      const p = refProblem(i, g.refs[i], want.refs[i]);
      if (p !== null) return p;
    }
    if (g.refs.length !== want.refs.length)
      return g.refs.length < want.refs.length
        ? `stopped after ${g.refs.length} references; #${n + 1} should be ${refText(want.refs[n])}`
        : `made ${g.refs.length} references, expected ${want.refs.length} (the walk ends at #${want.refs.length})`;
    return resultProblem(g.result, want.result);
  };
