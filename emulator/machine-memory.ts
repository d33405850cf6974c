/*
 * The Machine's memory path, built in two steps that each return what the next one needs.
 *
 *   hostRam()       the host RAM: the NestedVm's host memory (the default), or the caller's
 *                   buffer when it brings its own translator or host memory; checked to hold all
 *                   of guest RAM and to be whole pages.
 *   memoryPath()    once the device windows are known (vcpuMmu: the fill path of one vCPU, again
 *                   for each vCPU after the first): the Translator the fill hook asks (the
 *                   NestedMmu over the vCPU's client, or the caller's translator), the devices'
 *                   guest-memory access (page holds on the "devices" client, or the translator
 *                   over host RAM) and the way the loader writes the image into guest RAM (the
 *                   VMM's own writes when nested, else through the translator).
 *   loadImage()     every segment into guest RAM through that path; an image that does not fit
 *                   is the guest's error (BadGuestError), never a partial load left running.
 *
 * Invariants: with a NestedVm, host RAM is its buffer and every guest access goes through its
 * vmspace; without one, nothing here creates nested state (vm and mmu are null).
 */
import { PAGE_SIZE, gpa, hex } from '../mmu/addr.js';
import type { AccessSite, EventSink } from '../mmu/events.js';
import type { GuestPaging } from '../mmu/guest-walk/guest-paging.js';
import type { Arch } from './arch.js';
import type { MachineEvent } from './events.js';
import { GuestMemory, type GuestMemoryAccess } from './guest-memory.js';
import { HeldGuestMemory } from './held-memory.js';
import { BadGuestError, type GuestImage } from './image.js';
import { fixedOffsetTranslator, type MachineOptions } from './machine-options.js';
import { NestedMmu } from './nested-mmu.js';
import { NestedVm } from './nested-vm.js';
import type { DeviceWindow, Translator } from './translator.js';
import type { VmClient } from '../mmu/vm/vm-client.js';

export interface HostRam {
  /** The nested paging layer (null when a translator or host memory was given). */
  readonly vm: NestedVm | null;
  readonly buffer: ArrayBuffer;
  /** Bytes of `buffer` mapped at host-physical 0. */
  readonly bytes: number;
  readonly u8: Uint8Array;
}

export function hostRam(
  arch: Arch,
  ramBase: number,
  opts: MachineOptions,
  sink: EventSink<MachineEvent>,
): HostRam {
  const { memBytes } = opts;
  const vm =
    opts.translator === undefined && opts.hostMemory === undefined
      ? new NestedVm({
          arch,
          ramBase,
          memBytes,
          format: opts.format,
          hostBytes: opts.hostBytes,
          host: opts.host,
          dirtyTracking: opts.dirtyTracking,
          dirtyLog: opts.dirtyLog,
          reclaim: opts.reclaim,
          reclaimHook: opts.reclaimHook,
          hostLayout: opts.hostLayout,
          seed: opts.seed,
          sink,
          cpus: opts.cpus,
        })
      : null;
  const buffer = vm?.mem.buffer ?? opts.hostMemory ?? new ArrayBuffer(memBytes);
  const bytes = vm?.mem.bytes ?? opts.hostBytes ?? buffer.byteLength;
  // The nested layer may overcommit (reclaim shares fewer frames among the pages); a fixed map may not.
  if ((vm === null && bytes < memBytes) || bytes % PAGE_SIZE !== 0 || bytes > buffer.byteLength) {
    throw new RangeError(`host memory of ${bytes} bytes cannot hold ${memBytes} bytes of guest RAM`);
  }
  return { vm, buffer, bytes, u8: new Uint8Array(buffer, 0, bytes) };
}

export interface MemoryPath {
  readonly mmu: NestedMmu | null;
  readonly translator: Translator;
  /** Host-side guest memory access of devices (page holds when nested). */
  readonly memory: GuestMemoryAccess;
  readonly loadBytes: (gpa: number, bytes: Uint8Array) => boolean;
}

/** What memoryPath needs to know besides host RAM. */
export interface MemoryPathContext {
  readonly arch: Arch;
  readonly ramBase: number;
  readonly memBytes: number;
  readonly windows: readonly DeviceWindow[];
  /** The device name of each window, in order. */
  readonly windowNames: readonly string[];
  /** The guest's paging now, and whether it runs at user privilege (read from the vCPU). */
  readonly paging: () => GuestPaging | null;
  readonly user: () => boolean;
  readonly sink: EventSink<MachineEvent>;
  /** The instruction making an access now (the fill path's events). */
  readonly site?: () => AccessSite;
  readonly translator?: MachineOptions['translator'];
  /** The fault-storm bound of the fill path (default FAULT_STORM_LIMIT). */
  readonly stormLimit?: number;
}

export function memoryPath(ram: HostRam, ctx: MemoryPathContext): MemoryPath {
  const vm = ram.vm;
  if (vm === null) {
    const translator = (ctx.translator ?? fixedOffsetTranslator)({
      arch: ctx.arch,
      ramBase: gpa(ctx.ramBase),
      memBytes: ctx.memBytes,
      hostBytes: ram.bytes,
      windows: ctx.windows,
    });
    const memory = new GuestMemory(translator, ram.u8);
    return { mmu: null, translator, memory, loadBytes: (g, b) => memory.write(g, b) === null };
  }
  vm.mapDevices(
    ctx.windows.map((w, i) => ({ name: ctx.windowNames[i], gpa: w.gpa, size: w.size, hpa: w.hpa })),
  );
  const mmu = vcpuMmu(vm, vm.vcpuClient, ctx);
  const memory = new HeldGuestMemory(vm.vmspace, vm.deviceClient, ctx.paging);
  return { mmu, translator: mmu, memory, loadBytes: (g, b) => vm.writeRam(g, b) };
}

/** The fill path of one vCPU: a NestedMmu over its own client (vCPU 0's is vm.vcpuClient). */
export function vcpuMmu(vm: NestedVm, client: VmClient, ctx: MemoryPathContext): NestedMmu {
  return new NestedMmu({
    vmspace: vm.vmspace,
    client,
    paging: ctx.paging,
    user: ctx.user,
    sink: ctx.sink,
    inFlight: vm.inFlight,
    stormLimit: ctx.stormLimit,
    site: ctx.site,
  });
}

/** Write every segment of `image` into guest RAM [ramBase, ramBase + memBytes). */
export function loadImage(image: GuestImage, ramBase: number, memBytes: number, path: MemoryPath): void {
  for (const s of image.segments) {
    const off = s.gpa - ramBase;
    if (off < 0 || off + s.memSize > memBytes || s.data.length > s.memSize) {
      throw new BadGuestError(
        `${image.origin}: segment at guest-physical ${hex(s.gpa)} (${s.memSize} bytes) does not fit in guest RAM ` +
          `${hex(ramBase)}..${hex(ramBase + memBytes)}`,
      );
    }
    const bytes = new Uint8Array(s.memSize);
    bytes.set(s.data);
    if (!path.loadBytes(s.gpa, bytes)) {
      throw new BadGuestError(`${image.origin}: segment at guest-physical ${hex(s.gpa)} is not guest RAM`);
    }
  }
  const entryOff = image.entry - ramBase;
  if (entryOff < 0 || entryOff >= memBytes) {
    throw new BadGuestError(`${image.origin}: entry point ${hex(image.entry)} is outside guest RAM`);
  }
}
