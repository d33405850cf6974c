/*
 * Loading the Emscripten builds of Keystone and Capstone (@alexaltea/keystone-js, capstone-js)
 * from Node ESM.
 *
 * Both packages ship one CommonJS file (a factory `MKeystone` / `MCapstone` that returns a
 * Promise of the initialised module) next to a .wasm file. We load the factory with
 * `createRequire`, compile the .wasm ONCE per process into a `WebAssembly.Module`, and hand that
 * compiled module to every instantiation through the `instantiateWasm` hook. Instantiating is
 * then a few milliseconds, which matters because an instance can die:
 *
 *   - LLVM inside Keystone calls exit() on some inputs (e.g. an unencodable fixup). The Node
 *     glue turns that into a thrown ExitStatus AND sets `process.exitCode = 1` as a side effect.
 *   - Some directives (section switches) make it read out of bounds: a WebAssembly RuntimeError.
 *
 * After either, the instance's heap is in an unknown state, so callers drop it and make a new
 * one (keystone.ts does so). `guardCall` runs one call, restores `process.exitCode` and
 * reports a crash as a value.
 *
 * A call can also never return: Keystone loops for ever on a few inputs (a line of just `:`, an
 * unterminated string). `guardCall` with a deadline runs the call through `node:vm` with a
 * `timeout`: V8's watchdog thread terminates the script, and the termination reaches into the
 * wasm loop (V8 checks for interrupts at wasm loop headers). The call then reports
 * `timedOut`, in the main thread, with no worker to start, and the caller drops the instance
 * as after a crash.
 *
 * Invariants:
 *   - Nothing here prints: the glue's print/printErr are routed into a per-instance buffer
 *     (`drainDiagnostics`) that callers read to explain failures (LLVM writes "error: ..." text).
 *   - One compiled WebAssembly.Module per package per process; instances are cheap and disposable.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createContext, Script } from 'node:vm';

const require = createRequire(import.meta.url);

// The slice of the WebAssembly JS API used here. (tsconfig's lib has no DOM and @types/node 20
// does not declare the WebAssembly namespace, so the handles stay opaque.)
type WasmModule = { readonly __wasmModule: unique symbol };
type WasmInstance = { readonly __wasmInstance: unique symbol };
interface WasmApi {
  compile(bytes: Uint8Array): Promise<WasmModule>;
  instantiate(module: WasmModule, imports: object): Promise<WasmInstance>;
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** The factory exported by the alexaltea builds. */
type Factory = (moduleArg: Record<string, unknown>) => Promise<unknown>;

interface Loaded {
  readonly factory: Factory;
  readonly wasm: WasmModule;
}

const loaded = new Map<string, Promise<Loaded>>();

async function loadPackage(pkg: string, wasmName: string): Promise<Loaded> {
  const mainPath = require.resolve(pkg);
  const factory = require(pkg) as Factory;
  const wasmPath = mainPath.replace(/[^/\\]+$/, wasmName);
  const wasm = await wasmApi.compile(readFileSync(wasmPath));
  return { factory, wasm };
}

/** One live Emscripten instance plus the diagnostics it has written since the last drain. */
export interface EmscriptenInstance<M> {
  readonly mod: M;
  readonly diagnostics: string[];
}

/** Instantiate `pkg` (e.g. '@alexaltea/keystone-js') afresh, reusing the compiled wasm. */
export async function instantiate<M>(pkg: string, wasmName: string): Promise<EmscriptenInstance<M>> {
  let pending = loaded.get(pkg);
  if (pending === undefined) {
    pending = loadPackage(pkg, wasmName);
    loaded.set(pkg, pending);
  }
  const { factory, wasm } = await pending;
  const diagnostics: string[] = [];
  const sink = (text: string): void => {
    diagnostics.push(String(text));
  };
  const mod = (await factory({
    print: sink,
    printErr: sink,
    instantiateWasm(imports: object, done: (inst: WasmInstance, m: WasmModule) => void): object {
      void wasmApi.instantiate(wasm, imports).then((inst) => done(inst, wasm));
      return {};
    },
  })) as M;
  return { mod, diagnostics };
}

/** Take (and clear) what the instance printed. */
export function drainDiagnostics(inst: EmscriptenInstance<unknown>): string[] {
  return inst.diagnostics.splice(0, inst.diagnostics.length);
}

export type Guarded<T> = { ok: true; value: T } | { ok: false; crash: string; timedOut: boolean };

// One context and one compiled script for every call with a deadline (made on first use): the
// script only calls the function parked in the context's `call` slot for the length of a call.
interface DeadlineRunner {
  readonly context: { call: (() => unknown) | null };
  readonly script: Script;
}
let runner: DeadlineRunner | null = null;

function withinDeadline<T>(fn: () => T, deadlineMs: number): T {
  const made = runner ?? {
    context: createContext({ call: null }) as DeadlineRunner['context'],
    script: new Script('call()'),
  };
  runner = made;
  const { context, script } = made;
  context.call = fn;
  try {
    return script.runInContext(context, { timeout: deadlineMs }) as T;
  } finally {
    context.call = null;
  }
}

/**
 * Run `fn` against an instance, catching an Emscripten exit or a wasm trap. The glue sets
 * process.exitCode when LLVM calls exit(); that is undone here so a bad guest source never
 * changes nestvm's own exit status. With `deadlineMs`, a call still running after that long is
 * terminated and reported with `timedOut: true`.
 */
export function guardCall<T>(fn: () => T, deadlineMs?: number): Guarded<T> {
  const savedExitCode = process.exitCode;
  try {
    return { ok: true, value: deadlineMs === undefined ? fn() : withinDeadline(fn, deadlineMs) };
  } catch (e) {
    process.exitCode = savedExitCode;
    const timedOut = (e as { code?: unknown } | null)?.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT';
    const crash = e instanceof Error ? e.message : describeThrown(e);
    return { ok: false, crash, timedOut };
  }
}

function describeThrown(e: unknown): string {
  if (typeof e === 'object' && e !== null && 'message' in e)
    return String((e as { message: unknown }).message);
  return String(e);
}
