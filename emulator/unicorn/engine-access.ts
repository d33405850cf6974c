/*
 * What the pieces of one Unicorn binding (hook-table.ts, memory-map.ts) may do with the engine
 * they serve, without seeing the Unicorn class itself.
 *
 * Invariants: `live()` returns the engine handle only while the engine is open and throws
 * UnicornClosedError after close(), so no uc_* call is made on a closed engine; `stopIfOpen()`
 * never throws (trampolines call it while C is on the stack) and does nothing once the engine is
 * closed; `check()` turns a failing uc_err code into an UnicornError carrying uc_strerror's text.
 */
import type { UcApi } from './library.js';

export interface EngineAccess {
  readonly api: UcApi;
  /** The open engine's handle; throws UnicornClosedError once it is closed. */
  live(): unknown;
  /** Ask a running engine to stop, if it is still open. */
  stopIfOpen(): void;
  /** Throw UnicornError for a non-zero uc_err code from `op`. */
  check(op: string, err: number): void;
}
