/*
 * Loading libunicorn and declaring the C functions nestvm calls.
 *
 * Where the library comes from, first match wins:
 *   1. the environment variable NESTVM_LIBUNICORN (a path to libunicorn.so.2 / .dylib)
 *   2. the path set-up recorded: <package root>/.cache/libunicorn.path in a clone, else the
 *      per-user cache's libunicorn.path written by `nestvm setup` (library-cache.ts)
 *   3. 'libunicorn.so.2', left to the system loader
 * A library that cannot be loaded is a UnicornLoadError whose one line ends with what to install
 * on this system and `nestvm setup` (install-hint.ts).
 *
 * The library is loaded once per process and shared by every Unicorn instance. uc_version is
 * checked before anything else is declared: a library older than 2.1 is a UnicornVersionError
 * that names the version found (2.0.x lacks virtual-TLB mode and ignores x86-64 guest paging).
 *
 * Declarations use koffi prototypes. Pointers (the engine handle, callback trampolines) are
 * BigInt in koffi 3; 64-bit integer arguments accept JS numbers.
 */
import { PACKAGE_ROOT } from '../package-root.js';
import koffi, { type LibraryHandle } from 'koffi';
import { MIN_MAJOR, MIN_MINOR } from './constants.js';
import { UnicornLoadError, UnicornVersionError } from './errors.js';
import { setupAdvice } from './install-hint.js';
import { readRecord } from './library-cache.js';

/* The C callback shapes, named for the hooks that use them. */
const protos = {
  tlbFill: koffi.proto('bool nestvm_tlb_cb(void *uc, uint64_t vaddr, int type, void *entry, void *ud)'),
  intr: koffi.proto('void nestvm_intr_cb(void *uc, uint32_t intno, void *ud)'),
  insnIn: koffi.proto('uint32_t nestvm_in_cb(void *uc, uint32_t port, int size, void *ud)'),
  insnOut: koffi.proto('void nestvm_out_cb(void *uc, uint32_t port, int size, uint32_t value, void *ud)'),
  code: koffi.proto('void nestvm_code_cb(void *uc, uint64_t addr, uint32_t size, void *ud)'),
  memEvent: koffi.proto(
    'bool nestvm_memev_cb(void *uc, int type, uint64_t addr, int size, int64_t value, void *ud)',
  ),
  insnInvalid: koffi.proto('bool nestvm_insn_invalid_cb(void *uc, void *ud)'),
  cpuid: koffi.proto('int nestvm_cpuid_cb(void *uc, void *ud)'),
  mmioRead: koffi.proto(
    'uint64_t nestvm_mmio_read_cb(void *uc, uint64_t offset, unsigned int size, void *ud)',
  ),
  mmioWrite: koffi.proto(
    'void nestvm_mmio_write_cb(void *uc, uint64_t offset, unsigned int size, uint64_t value, void *ud)',
  ),
};
export type ProtoName = keyof typeof protos;
export const PROTOS = protos;

/* struct uc_tlb_entry { uint64_t paddr; uc_prot perms; }  (16 bytes, perms at +8) */
export const TLB_ENTRY = koffi.struct('nestvm_uc_tlb_entry', { paddr: 'uint64_t', perms: 'int' });
/** Byte offset of `perms` in uc_tlb_entry (the fill hook writes the two fields one by one). */
export const TLB_PERMS_AT: number = koffi.offsetof(TLB_ENTRY, 'perms');

function declare(lib: LibraryHandle) {
  return {
    uc_version: lib.func('unsigned int uc_version(unsigned int *major, unsigned int *minor)'),
    uc_strerror: lib.func('const char *uc_strerror(int code)'),
    uc_open: lib.func('int uc_open(int arch, int mode, _Out_ void **uc)'),
    uc_close: lib.func('int uc_close(void *uc)'),
    uc_ctl: lib.func('int uc_ctl(void *uc, int control, ...)'),
    uc_reg_read: lib.func('int uc_reg_read(void *uc, int regid, void *value)'),
    uc_reg_write: lib.func('int uc_reg_write(void *uc, int regid, const void *value)'),
    uc_mem_map: lib.func('int uc_mem_map(void *uc, uint64_t address, uint64_t size, uint32_t perms)'),
    uc_mem_map_ptr: lib.func(
      'int uc_mem_map_ptr(void *uc, uint64_t address, uint64_t size, uint32_t perms, void *ptr)',
    ),
    uc_mmio_map: lib.func(
      'int uc_mmio_map(void *uc, uint64_t address, uint64_t size, void *rcb, void *rud, void *wcb, void *wud)',
    ),
    uc_mem_unmap: lib.func('int uc_mem_unmap(void *uc, uint64_t address, uint64_t size)'),
    uc_mem_read: lib.func('int uc_mem_read(void *uc, uint64_t address, _Out_ uint8_t *bytes, uint64_t size)'),
    uc_mem_write: lib.func(
      'int uc_mem_write(void *uc, uint64_t address, const uint8_t *bytes, uint64_t size)',
    ),
    uc_emu_start: lib.func(
      'int uc_emu_start(void *uc, uint64_t begin, uint64_t until, uint64_t timeout, size_t count)',
    ),
    uc_emu_stop: lib.func('int uc_emu_stop(void *uc)'),
    uc_hook_add: lib.func(
      'int uc_hook_add(void *uc, _Out_ size_t *hh, int type, void *cb, void *ud, uint64_t begin, uint64_t end, ...)',
    ),
    uc_hook_del: lib.func('int uc_hook_del(void *uc, size_t hh)'),
    uc_context_alloc: lib.func('int uc_context_alloc(void *uc, _Out_ void **context)'),
    uc_context_save: lib.func('int uc_context_save(void *uc, void *context)'),
    uc_context_restore: lib.func('int uc_context_restore(void *uc, void *context)'),
    uc_context_free: lib.func('int uc_context_free(void *context)'),
  };
}
export type UcApi = ReturnType<typeof declare>;

export interface LoadedLibrary {
  readonly path: string;
  readonly version: string;
  readonly api: UcApi;
}

export interface LibrarySource {
  /** What to hand to the loader: a path, or the bare name for the system loader. */
  readonly file: string;
  readonly from: 'env' | 'record' | 'system';
  /** The record file, when `from` is 'record'. */
  readonly record?: string;
}

/** Which file to load and why, per the order in the essay. */
export function librarySource(env: NodeJS.ProcessEnv = process.env, root = PACKAGE_ROOT): LibrarySource {
  const fromEnv = env.NESTVM_LIBUNICORN;
  if (fromEnv !== undefined && fromEnv !== '') return { file: fromEnv, from: 'env' };
  const recorded = readRecord(env, root);
  if (recorded !== null) return { file: recorded.library, from: 'record', record: recorded.record };
  return { file: 'libunicorn.so.2', from: 'system' };
}

/** Which file to load, per the order in the essay. */
export function libraryPath(env: NodeJS.ProcessEnv = process.env, root = PACKAGE_ROOT): string {
  return librarySource(env, root).file;
}

/** "2.1.1" from uc_version's packed value (major<<24 | minor<<16 | patch<<8 | extra). */
export function versionString(packed: number): string {
  return `${(packed >>> 24) & 0xff}.${(packed >>> 16) & 0xff}.${(packed >>> 8) & 0xff}`;
}

export function versionAtLeast21(packed: number): boolean {
  const major = (packed >>> 24) & 0xff;
  const minor = (packed >>> 16) & 0xff;
  return major > MIN_MAJOR || (major === MIN_MAJOR && minor >= MIN_MINOR);
}

/** Load a specific file and check its version (exported for the version-check test). */
export function loadLibraryAt(file: string): LoadedLibrary {
  let lib: LibraryHandle;
  try {
    lib = koffi.load(file);
  } catch (e) {
    throw new UnicornLoadError(
      `cannot load Unicorn from ${file}: ${firstLine((e as Error).message)}; ${setupAdvice()}`,
    );
  }
  const ucVersion = lib.func('unsigned int uc_version(unsigned int *major, unsigned int *minor)');
  const packed = (ucVersion(null, null) as number) >>> 0;
  const version = versionString(packed);
  if (!versionAtLeast21(packed)) throw new UnicornVersionError(version, file);
  return { path: file, version, api: declare(lib) };
}

const firstLine = (text: string): string => text.split('\n')[0].trim();

let loaded: LoadedLibrary | null = null;

/** The process-wide library, loaded on first use. */
export function library(): LoadedLibrary {
  if (loaded === null) loaded = loadLibraryAt(libraryPath());
  return loaded;
}
