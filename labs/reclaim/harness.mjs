// Lab reclaim's harness: runs in the graded child. For one squeezed run (a job the grader sent:
// the guest's source, guest and host memory, the nested format, limits) it builds a Machine whose
// replacement policy is the student's, runs the guest to its end, and sends back only the log of
// the policy's decisions. Nothing measured here is believed: the grader replays the log in its own
// process (labs/reclaim/squeeze.ts) and counts the major faults, write-backs and console there.
//
//   log, per eviction, flat numbers:  n  victim  hfn  writeBack  k  clear_1 .. clear_k
//     n          how many candidates the policy was shown
//     victim     the index it answered, hfn that candidate's frame (the replay checks both)
//     writeBack  1 or 0, the policy's word on writing the victim's content back
//     clear_i    the indices it passed to ctl.clearAccessed, in order
//
// The student's module exports createPolicy(): it returns choose(candidates, ctl), which answers
// { victim, writeBack }. A thrown error, or an answer of another shape, ends the run with the
// message, which the grader shows. A run stopped by its wall-clock limit says so (timedOut).
import { Machine, loadGuestBytes } from 'nestvm';

const shapeProblem = (a, n) => {
  if (a === null || typeof a !== 'object') return `choose answered ${String(a)}: want { victim, writeBack }`;
  if (!Number.isInteger(a.victim) || a.victim < 0 || a.victim >= n)
    return `choose answered victim ${String(a.victim)}: want an index below ${n}`;
  if (typeof a.writeBack !== 'boolean')
    return `choose answered writeBack ${String(a.writeBack)}: want true or false`;
  return null;
};

export async function run(createPolicy, job) {
  const bytes = new TextEncoder().encode(job.source);
  const image = await loadGuestBytes(bytes, `${job.name}.s`, { memBytes: job.memBytes });
  const choose = createPolicy();
  if (typeof choose !== 'function')
    throw new Error(`createPolicy() returned ${typeof choose}, not a function`);
  const log = [];
  let problem = null;
  const hook = (candidates, ctl) => {
    const clears = [];
    const answer = choose(candidates, {
      clearAccessed(i) {
        if (Number.isInteger(i) && i >= 0 && i < candidates.length) clears.push(i);
        ctl.clearAccessed(i);
      },
    });
    problem = shapeProblem(answer, candidates.length);
    if (problem !== null) throw new Error(problem);
    const v = answer.victim;
    log.push(candidates.length, v, candidates[v].hfn, answer.writeBack ? 1 : 0, clears.length, ...clears);
    return { victim: v, writeBack: answer.writeBack };
  };
  const machine = new Machine(image, {
    memBytes: job.memBytes,
    hostBytes: job.hostBytes,
    format: job.format,
    maxInsns: job.maxInsns,
    timeoutMs: job.timeoutMs,
    reclaimHook: hook,
  });
  let stop;
  try {
    stop = machine.run();
  } catch (err) {
    // the engine wraps what the hook threw (HookError, the original as its cause): say the
    // student's own error as it was written
    if (problem !== null) throw new Error(problem);
    throw err instanceof Error && err.cause !== undefined ? err.cause : err;
  } finally {
    machine.close();
  }
  // a wall-clock stop does not replay (the grader's run has its own clock): say it instead
  return { log, timedOut: stop.reason === 'timeout' };
}
