// The graded child: runs one batch of calls to a student's exported function and sends the
// outcomes back to the grader on the IPC channel the grader opened (fd 3), never on stdout.
//
// This file is plain JavaScript so that it runs with `node` alone, from a clone or an installed
// package, without a build step. The grader (labs/framework/child-call.ts) starts it as
//   node --max-old-space-size=M child.mjs
// with stdout and stderr piped (the student's prints go there and are only kept for a crash
// report), and sends one job: { nonce, module, exportName, argLists, harness?, library? }.
//
//   library   the file URL of the grader's own nestvm build; a resolve hook maps the bare
//             specifier 'nestvm' to it, so the student's `import ... from 'nestvm'` gets the very
//             library the grader checks against, whether or not `npm install` ran in the folder
//   harness   a module shipped with the lab (not in the student's folder) that stands between
//             the job's plain data and the student's function: either `prepare(...args)`, which
//             returns the arguments the function takes (read-only accessors), or
//             `run(fn, ...args)`, which makes the call itself (to set up Machines, measure, and
//             return plain data about what the function did)
//
// The reply is { nonce, outcomes: [{ ok, value } | { ok: false, error }] }. The grader ignores any
// message without its nonce, and decides every verdict itself from these outcomes.
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';

const HOOK = `
let library;
export function initialize(data) { library = data.library; }
export async function resolve(specifier, context, next) {
  if (specifier === 'nestvm') return { url: library, shortCircuit: true };
  return next(specifier, context);
}`;

/* A thrown value as one line of text. */
function messageOf(err) {
  if (err instanceof Error) return `${err.message || err.name}`.split('\n')[0];
  return String(err).split('\n')[0];
}

/* Structured clone accepts it (the IPC channel's advanced serialisation uses the same rules). */
function cloneable(value) {
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

async function runJob(job) {
  if (job.library)
    register(`data:text/javascript,${encodeURIComponent(HOOK)}`, { data: { library: job.library } });
  let fn;
  let invoke = (f, args) => f(...args);
  try {
    if (job.harness) {
      const h = await import(pathToFileURL(job.harness).href);
      invoke =
        typeof h.run === 'function' ? (f, args) => h.run(f, ...args) : (f, args) => f(...h.prepare(...args));
    }
    const mod = await import(pathToFileURL(job.module).href);
    fn = mod[job.exportName];
  } catch (err) {
    return { loadError: messageOf(err) };
  }
  if (typeof fn !== 'function') return { loadError: `${job.exportName} is not an exported function` };
  const outcomes = [];
  for (const args of job.argLists) {
    try {
      const value = await invoke(fn, args);
      outcomes.push(
        cloneable(value)
          ? { ok: true, value }
          : { ok: false, error: 'returned a value that is not plain data' },
      );
    } catch (err) {
      outcomes.push({ ok: false, error: messageOf(err) });
    }
  }
  return { outcomes };
}

process.once('message', async (job) => {
  const reply = await runJob(job);
  process.send({ nonce: job.nonce, ...reply }, () => process.exit(0));
});
