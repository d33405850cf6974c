/*
 * Which counter an engine uses, and the block counter's shared object when it is the one.
 *
 * Two ways count instructions exactly (run-count.ts, block-count.ts):
 *
 *   hook    Unicorn's own count: a C hook before every instruction (uc_emu_start with count > 0)
 *   block   nestvm's block counter: a C hook before every translated block (block-counter.c),
 *           finishing a budget's last partial block with a code hook over that block only
 *
 * The block counter is a small C file that set-up compiles with the system's C compiler into the
 * cache folder that holds Unicorn (scripts/setup.sh, also run by `nestvm setup`), and whose path it
 * records in `block-counter.path` there (library-cache.ts reads the records, clone first). The
 * environment variable NESTVM_COUNTER chooses: `hook` forces Unicorn's count, `block` asks for
 * the block counter, unset (or empty) is the default, DEFAULT_COUNTER. When the block counter is
 * asked for but set-up built none (no compiler, a failed build) or it cannot be loaded, the hook
 * counter is used and `counterChoice().why` says so; `nestvm setup` and `--verbose` print it.
 *
 * The shared object is loaded once per process, after libunicorn (it links against it, so the
 * system loader finds the copy already loaded by its soname).
 */
import koffi, { type LibraryHandle } from 'koffi';
import { PACKAGE_ROOT } from '../package-root.js';
import { UnicornLoadError } from './errors.js';
import { COUNTER_RECORD_FILE, readRecord } from './library-cache.js';

export type CounterKind = 'hook' | 'block';

/** How Unicorn.open opens an engine (unicorn.ts). */
export interface OpenOptions {
  /** Force the slow exact fallback counter (tests check that the counters agree). */
  readonly jsCounting?: boolean;
  /**
   * 'hook' forces Unicorn's count; 'block' the block counter where set-up built it; unset,
   * NESTVM_COUNTER and the default decide (block-shim.ts).
   */
  readonly counter?: CounterKind;
}

/*
 * The default while the block counter differs from the count hook in one known case: on x86-64 a
 * kicked load or store's count needs the engine's block at its pc (block-count.ts, indexIn), whose
 * translation can refill a code page that a recycled frame's flush emptied, one TLB fill more per
 * such kick than the count hook (`run pattern --host-mem 1M`: 1,725 fills against 1,352).
 */
export const DEFAULT_COUNTER: CounterKind = 'hook';

function declare(lib: LibraryHandle) {
  return {
    create: lib.func('void *nestvm_counter_new(int arm64)'),
    free: lib.func('void nestvm_counter_free(void *c)'),
    forget: lib.func('void nestvm_counter_forget(void *c)'),
    attach: lib.func('int nestvm_counter_attach(void *uc, void *c, _Inout_ uint64_t *hh)'),
    attachTail: lib.func(
      'int nestvm_counter_attach_tail(void *uc, void *c, uint64_t begin, uint64_t end, _Out_ size_t *hh)',
    ),
    attachIo: lib.func(
      'int nestvm_counter_attach_io(void *uc, void *c, uint64_t begin, uint64_t end, _Out_ size_t *hh)',
    ),
    tbAt: lib.func('int64_t nestvm_counter_tb(void *uc, uint64_t address)'),
  };
}
export type ShimApi = ReturnType<typeof declare>;

export interface CounterChoice {
  readonly kind: CounterKind;
  /** One line: which counter, and why. */
  readonly why: string;
  /** The block counter's functions (kind 'block' only). */
  readonly shim: ShimApi | null;
  /** The shared object's path (kind 'block' only). */
  readonly path: string | null;
}

/** What NESTVM_COUNTER asks for: 'hook', 'block', or null for the default. */
export function requestedCounter(env: NodeJS.ProcessEnv): CounterKind | null {
  const v = env.NESTVM_COUNTER ?? '';
  if (v === '') return null;
  if (v === 'hook' || v === 'block') return v;
  throw new UnicornLoadError(`NESTVM_COUNTER must be 'hook' or 'block' (or unset), got '${v}'`);
}

let loaded: { path: string; api: ShimApi } | string | undefined;

/* The recorded shared object, loaded; or a line saying why there is none. */
function loadShim(env: NodeJS.ProcessEnv, root: string): { path: string; api: ShimApi } | string {
  const rec = readRecord(env, root, COUNTER_RECORD_FILE);
  if (rec === null) return 'set-up built no block counter (no C compiler, or the build failed)';
  try {
    return { path: rec.library, api: declare(koffi.load(rec.library)) };
  } catch (e) {
    return `the block counter at ${rec.library} does not load (${String((e as Error).message).split('\n')[0]})`;
  }
}

/** The counter engines open with now (the environment is read at every call; the file once). */
export function counterChoice(env: NodeJS.ProcessEnv = process.env, root = PACKAGE_ROOT): CounterChoice {
  const asked = requestedCounter(env);
  const kind = asked ?? DEFAULT_COUNTER;
  if (kind === 'hook') {
    const why = asked === 'hook' ? 'NESTVM_COUNTER=hook' : 'the default';
    return { kind, why: `Unicorn's count hook (${why})`, shim: null, path: null };
  }
  loaded ??= loadShim(env, root);
  if (typeof loaded === 'string') {
    return { kind: 'hook', why: `Unicorn's count hook: ${loaded}`, shim: null, path: null };
  }
  const why = asked === 'block' ? 'NESTVM_COUNTER=block' : 'the default';
  return { kind, why: `the block counter, ${loaded.path} (${why})`, shim: loaded.api, path: loaded.path };
}
