/*
 * Structural sharing between two snapshots: the parts of a new snapshot that did not change are
 * replaced by the previous snapshot's objects, so that a view can tell "nothing to redraw" by
 * comparing references (pane-memo.ts), as React.memo does.
 *
 * A running guest moves the instruction count and the registers on every frame, but once its
 * working set is mapped the fault log, the holds, the page states, the table and the frames stay
 * as they were; without sharing each snapshot still brings fresh arrays for them, and every pane
 * would be rendered again for nothing.
 *
 *     next part  ──sameData(prev part)?──► yes: the previous object   no: the new one
 *
 * Shared: faults, clients, holdLog, memory, gpt, selection, pools, migration, shown, run, and cpu (whole, or else its
 * regs and disasm). Invariants: the result is equal, field by field, to `next` (only identities
 * change); a part is shared only when it is equal all the way down (sameData), so a view reading
 * the shared object sees exactly what the new snapshot says.
 */
import type { TuiSnapshot } from './model.js';

/** Deep equality of snapshot data: primitives (bigint too), arrays, typed arrays, plain objects. */
export function sameData(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) return sameBytes(a, b);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameData(a[i], bb[i])) return false;
    return true;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = Object.keys(ao);
  if (keys.length !== Object.keys(bo).length) return false;
  for (const k of keys) if (!(k in bo) || !sameData(ao[k], bo[k])) return false;
  return true;
}

function sameBytes(a: object, b: object): boolean {
  if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const keep = <T>(prev: T, next: T): T => (sameData(prev, next) ? prev : next);

/** `next` with every unchanged part taken from `prev` (see above). */
export function shareSnapshot(prev: TuiSnapshot | null, next: TuiSnapshot): TuiSnapshot {
  if (prev === null) return next;
  const cpu = sameData(prev.cpu, next.cpu)
    ? prev.cpu
    : {
        ...next.cpu,
        regs: keep(prev.cpu.regs, next.cpu.regs),
        disasm: keep(prev.cpu.disasm, next.cpu.disasm),
      };
  return {
    ...next,
    run: keep(prev.run, next.run),
    cpu,
    faults: keep(prev.faults, next.faults),
    clients: keep(prev.clients, next.clients),
    holdLog: keep(prev.holdLog, next.holdLog),
    memory: keep(prev.memory, next.memory),
    gpt: keep(prev.gpt, next.gpt),
    selection: keep(prev.selection, next.selection),
    pools: keep(prev.pools, next.pools),
    ...(next.migration === undefined ? {} : { migration: keep(prev.migration, next.migration) }),
    ...(next.shown === undefined ? {} : { shown: keep(prev.shown, next.shown) }),
  };
}
