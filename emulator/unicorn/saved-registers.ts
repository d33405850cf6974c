/*
 * A saved copy of one engine's vCPU registers (uc_context_save), for a caller that may want them
 * back: restore() puts them back, free() lets the copy go. Guest memory is not part of it.
 *
 * Invariants: the engine's context is freed exactly once, by free() or by restore() (each may be
 * called any number of times, the first call does the work); restore() on a closed engine throws
 * UnicornClosedError and still frees the copy.
 */
import type { EngineAccess } from './engine-access.js';

/** A copy of the vCPU's registers (Unicorn.saveRegisters). */
export interface SavedRegisters {
  restore(): void;
  free(): void;
}

export function saveRegisters(engine: EngineAccess): SavedRegisters {
  const { api } = engine;
  const out: unknown[] = [null];
  engine.check('uc_context_alloc', api.uc_context_alloc(engine.live(), out));
  const ctx = out[0];
  let live = true;
  const free = () => {
    if (live) api.uc_context_free(ctx);
    live = false;
  };
  const err = api.uc_context_save(engine.live(), ctx) as number;
  if (err !== 0) free();
  engine.check('uc_context_save', err);
  const restore = () => {
    if (!live) return;
    try {
      engine.check('uc_context_restore', api.uc_context_restore(engine.live(), ctx));
    } finally {
      free();
    }
  };
  return { restore, free };
}
