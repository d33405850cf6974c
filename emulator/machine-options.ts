/*
 * What a Machine is built from: the options a caller gives, and what a translator factory is told
 * about the layout. A caller that passes `translator` or `hostMemory` gets a Machine without the
 * nested layer (machine-memory.ts); everything else has a default stated here.
 */
import { hpa, PAGE_SIZE, type Gpa } from '../mmu/addr.js';
import type { EventSink } from '../mmu/events.js';
import type { FormatName } from '../mmu/gpt/entry-format.js';
import type { DirtyLogMode } from '../mmu/vm/ring-harvest.js';
import type { PolicyName, ReclaimHook } from '../mmu/host/replacement-policy.js';
import type { HostLayout } from '../mmu/host/reservoir.js';
import type { Arch } from './arch.js';
import type { MachineEvent } from './events.js';
import type { NestedHost } from './nested-host.js';
import { FixedOffsetTranslator, type DeviceWindow, type Translator } from './translator.js';
import { MAX_CPUS } from './vcpu-set.js';

export interface MachineOptions {
  /** Guest RAM in bytes (a multiple of 4 KiB). */
  readonly memBytes: number;
  /** Stop with 'limit' after exactly this many instructions. */
  readonly maxInsns?: number;
  /** Stop with 'timeout' once slices have run this long, in wall-clock ms (checked between slices). */
  readonly timeoutMs?: number;
  /** vCPUs, 1 to MAX_CPUS (default 1): each its own engine, client and TLB (vcpu-set.ts). */
  readonly cpus?: number;
  /** Instructions each vCPU runs before the next one's turn (default DEFAULT_QUANTUM; only with cpus > 1). */
  readonly quantum?: number;
  /** Instruction budget of one slice (default 2,000,000). */
  readonly sliceInsns?: number;
  /** Called with each piece of console output as the guest produces it. */
  readonly onConsole?: (text: string) => void;
  /** Host RAM to use instead of the nested layer's (given, the Machine has no nested layer). */
  readonly hostMemory?: ArrayBuffer;
  /** Bytes of hostMemory to map (default: all of it). */
  readonly hostBytes?: number;
  /**
   * Build the Translator the fill hook asks. Given, it replaces the nested paging layer (tests
   * use fixedOffsetTranslator: guest RAM at host-physical 0).
   */
  readonly translator?: (ctx: TranslatorContext) => Translator;
  /**
   * A host shared with other Machines (nested-host.ts, sharedHost): this Machine's NestedVm gets
   * its own vmspace on it. Its host memory, layout and seed then replace hostBytes, hostLayout, seed.
   */
  readonly host?: NestedHost;
  /** The instruction counter (default: NESTVM_COUNTER, else the default; emulator/unicorn/block-shim.ts). */
  readonly counter?: 'hook' | 'block';
  /** Nested paging entry format (default: ept on x86-64, s2 on arm64). */
  readonly format?: FormatName;
  /** Dirty tracking in the nested tables (default on). */
  readonly dirtyTracking?: boolean;
  /** How harvests find dirty pages: 'bitmap' (reading the tables, default) or 'ring' (PML-style). */
  readonly dirtyLog?: DirtyLogMode;
  /**
   * Refuse host memory below the least in which every instruction can retire
   * (instruction-footprint.ts), as the CLI does: a HostMemoryError saying the figure. Without it a
   * Machine accepts down to the table pool's own minimum, and an instruction that cannot fit stops
   * the guest with an 'exhausted' fault.
   */
  readonly requireHostMinimum?: boolean;
  /** Nested faults in a row without a retired instruction that stop the guest (default FAULT_STORM_LIMIT). */
  readonly faultStormLimit?: number;
  /** Replacement policy when --host-mem is below guest RAM: clock (default), fifo or random. */
  readonly reclaim?: PolicyName;
  /** A script's own replacement policy (the library hook; overrides `reclaim`). */
  readonly reclaimHook?: ReclaimHook;
  /** Which host frame each guest page gets: 'scattered' by `seed` (default) or 'identity'. */
  readonly hostLayout?: HostLayout;
  /** Seed of the scattered host layout and of the random policy (default 1): the same seed gives the same frames. */
  readonly seed?: number;
  /** Where the event stream goes (DESIGN §6): trace writer, TUI, summary counters. */
  readonly sink?: EventSink<MachineEvent>;
}

/** What a translator factory needs to know about the machine's layout. */
export interface TranslatorContext {
  readonly arch: Arch;
  /** Guest-physical base and size of guest RAM. */
  readonly ramBase: Gpa;
  readonly memBytes: number;
  /** Bytes of host RAM mapped at host-physical 0. */
  readonly hostBytes: number;
  /** The device pages and their MMIO apertures above host RAM. */
  readonly windows: readonly DeviceWindow[];
}

export const fixedOffsetTranslator = (ctx: TranslatorContext): Translator =>
  new FixedOffsetTranslator(ctx.ramBase, ctx.memBytes, hpa(0), ctx.windows);

export const DEFAULT_SLICE_INSNS = 2_000_000;

/** memBytes and sliceInsns as a Machine needs them (a RangeError otherwise). */
export function checkSizes(memBytes: number, sliceInsns: number): void {
  if (!Number.isSafeInteger(memBytes) || memBytes <= 0 || memBytes % PAGE_SIZE !== 0) {
    throw new RangeError(`memBytes must be a positive multiple of ${PAGE_SIZE}, got ${memBytes}`);
  }
  if (!Number.isSafeInteger(sliceInsns) || sliceInsns <= 0) {
    throw new RangeError(`sliceInsns must be a positive integer, got ${sliceInsns}`);
  }
}

/** cpus and quantum as a Machine needs them (a RangeError otherwise); the vCPU count. */
export function checkCpus(cpus: number, quantum: number): number {
  if (!Number.isSafeInteger(cpus) || cpus < 1 || cpus > MAX_CPUS) {
    throw new RangeError(`cpus must be an integer from 1 to ${MAX_CPUS}, got ${cpus}`);
  }
  if (!Number.isSafeInteger(quantum) || quantum <= 0) {
    throw new RangeError(`quantum must be a positive integer, got ${quantum}`);
  }
  return cpus;
}
