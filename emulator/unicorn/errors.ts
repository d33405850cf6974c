/*
 * Typed failures of the Unicorn binding. All of them are nestvm-side or host-side problems
 * (a missing or too-old library, an API call the engine refused, a bug in a hook): guest-caused
 * failures never surface here, they become StopReason values in the Machine.
 */
import { setupAdvice } from './install-hint.js';

/** The native library could not be found or loaded. */
export class UnicornLoadError extends Error {
  override name = 'UnicornLoadError';
}

/** The library loaded but is older than 2.1 (virtual-TLB mode and the fill hook need 2.1). */
export class UnicornVersionError extends Error {
  override name = 'UnicornVersionError';
  constructor(
    readonly found: string,
    readonly path: string,
  ) {
    super(
      `Unicorn ${found} at ${path} is too old: nestvm needs Unicorn 2.1 or later ` +
        `(virtual-TLB mode with the TLB-fill hook); ${setupAdvice()}`,
    );
  }
}

/** A uc_* call returned an error; `message` carries uc_strerror's text. */
export class UnicornError extends Error {
  override name = 'UnicornError';
  constructor(
    readonly op: string,
    readonly code: number,
    detail: string,
  ) {
    super(`${op}: ${detail} (uc_err ${code})`);
  }
}

/** A JavaScript hook threw while the engine was running; the original error is `cause`. */
export class HookError extends Error {
  override name = 'HookError';
  constructor(
    readonly hook: string,
    cause: unknown,
  ) {
    super(`${hook} hook threw: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** The binding was used after close(). */
export class UnicornClosedError extends Error {
  override name = 'UnicornClosedError';
}
