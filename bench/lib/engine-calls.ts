/*
 * Engine calls counted per benchmark run: every method of the Unicorn binding is wrapped once so
 * that each call adds one to its name's count, and `take()` hands the counts of the run just done
 * over and starts again from zero. A benchmark uses it to show that two runs it compares ask the
 * engine for the same things (the same uc_emu_start calls, flushes, register reads), so that a
 * ratio of their times isolates what is not the engine's.
 *
 * Invariant: installed at most once per process, and only on request (the wrappers cost a call
 * each); what is not an engine call (the binding's private helpers, the typed-array read of the
 * engine's instruction counter) is left as it is.
 */
import { Unicorn } from '../../emulator/unicorn/unicorn.js';

/* The binding's own helpers, and instructionsBegunNow (a typed-array load of the engine's counter). */
const NOT_CALLS = new Set([
  'constructor',
  'live',
  'check',
  'spec',
  'readBlock',
  'writeBlock',
  'instructionsBegunNow',
]);

const counts = new Map<string, number>();
let installed = false;

/** Wrap the binding's methods (once). */
export function countEngineCalls(): void {
  if (installed) return;
  installed = true;
  const proto = Unicorn.prototype as unknown as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(proto)) {
    const d = Object.getOwnPropertyDescriptor(proto, name);
    if (d === undefined || typeof d.value !== 'function' || NOT_CALLS.has(name)) continue;
    const method = d.value as (...a: unknown[]) => unknown;
    proto[name] = function (this: unknown, ...a: unknown[]) {
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return method.apply(this, a);
    };
  }
}

/** The calls since the last take, by method name. */
export function takeEngineCalls(): Map<string, number> {
  const out = new Map(counts);
  counts.clear();
  return out;
}

/** "name n" for every call made more than `floor` times, in name order (the per-fill ones). */
export function frequentCalls(calls: Map<string, number>, floor: number): string {
  const busy = [...calls].filter(([, n]) => n > floor).sort(([a], [b]) => a.localeCompare(b));
  return busy.length === 0 ? 'none' : busy.map(([k, n]) => `${k} ${n.toLocaleString('en-US')}`).join(', ');
}
