/*
 * The common shape of a check: call one student function on a list of cases in one child
 * process, and judge each outcome against what nestvm's own code says.
 *
 * A case is described in words (`what`), so a failure names it: "encodeLeaf(ept, frame 0x12,
 * rw-): got 0x..., expected 0x...". The first failing case decides the reason; a batch that did
 * not finish (load error, time-out, crash) fails the check with that reason. A case whose call
 * threw fails with the thrown message first, so a skeleton's `TODO` shows as it was written.
 */
import {
  fail,
  pass,
  type BatchOutcome,
  type CallOptions,
  type CheckContext,
  type Verdict,
} from './lab-api.js';

export interface Case {
  /** The case in words, for the failure message. */
  readonly what: string;
  readonly args: readonly unknown[];
  /** null when the value is right, else what is wrong with it. */
  judge(value: unknown): string | null;
}

/** A failure reason for a batch that did not finish, or null when it did. */
export function batchFailure(outcome: BatchOutcome): string | null {
  switch (outcome.kind) {
    case 'done':
      return null;
    case 'timeout':
      return 'timed out';
    case 'load-error':
      return outcome.message;
    case 'crashed':
      return outcome.message;
  }
}

export async function checkCases<P>(
  ctx: CheckContext<P>,
  file: string,
  exportName: string,
  cases: readonly Case[],
  opts?: CallOptions,
): Promise<Verdict> {
  const outcome = await ctx.call(
    file,
    exportName,
    cases.map((c) => c.args),
    opts,
  );
  if (outcome.kind !== 'done') return fail(batchFailure(outcome)!);
  for (let i = 0; i < cases.length; i++) {
    const o = outcome.outcomes[i];
    if (!o.ok) return fail(`${o.error} (${exportName}, ${cases[i].what})`);
    const wrong = cases[i].judge(o.value);
    if (wrong !== null) return fail(`${exportName}(${cases[i].what}): ${wrong}`);
  }
  return pass;
}

/** A judge for a 64-bit value given as a BigInt. */
export const expectBigInt =
  (expected: bigint) =>
  (value: unknown): string | null => {
    if (typeof value !== 'bigint') return `returned ${typeof value}, expected a BigInt`;
    return value === expected ? null : `got ${hex64(value)}, expected ${hex64(expected)}`;
  };

export const hex64 = (v: bigint): string => '0x' + BigInt.asUintN(64, v).toString(16).padStart(16, '0');
