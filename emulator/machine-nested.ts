/*
 * What a Machine lets its users do to its nested paging layer between slices (the library API,
 * the TUI, lab scripts, tests): the dirty-log harvest, the Accessed reset, a frame's disconnect,
 * unmapping and remapping a RAM region, dirty tracking on or off, and the figures of the run.
 * Each verb is one administrative change of the vmspace, so it puts every vCPU's client on HOLD,
 * kicks whichever is on the CPU, and moves the generation on when it took rights away; each vCPU
 * then flushes its own TLB before it runs again (vm-generation.ts, vcpu-set.ts).
 *
 * Machine extends this class; the verbs name themselves in an 'action' event. Without the nested
 * layer (an injected translator) every verb but frameOf and stats throws.
 */
import { pageAlignDown, PAGE_SIZE, gpa, hex, type Gpa, type Hfn } from '../mmu/addr.js';
import type { EventSink } from '../mmu/events.js';
import type { MachineEvent } from './events.js';
import type { NestedMmu } from './nested-mmu.js';
import type { NestedVm } from './nested-vm.js';
import { collectStats, type RunStats } from './run-stats.js';
import { smpStats, type SmpStats } from './smp/smp-stats.js';
import type { VcpuSet } from './vcpu-set.js';

export abstract class MachineNested {
  abstract readonly vm: NestedVm | null;
  abstract readonly mmu: NestedMmu | null;
  abstract readonly memBytes: number;
  abstract readonly cpus: VcpuSet;
  protected abstract readonly ramBase: number;
  protected abstract readonly sink: EventSink<MachineEvent>;

  /** What the run did to the nested paging layer so far; null when a translator was injected. */
  stats(): (RunStats & Partial<SmpStats>) | null {
    if (this.vm === null || this.mmu === null) return null;
    const more = this.cpus.cores.slice(1).map((c) => c.mmu!);
    return { ...collectStats(this.vm, this.mmu, more), ...smpStats(this.cpus, this.vm) };
  }

  private nested(action: string, detail: string): NestedVm {
    if (this.vm === null)
      throw new Error(`Machine.${action}: no nested paging layer (a translator was injected)`);
    if (this.sink.enabled) this.sink.emit({ type: 'action', action, detail });
    return this.vm;
  }

  /** Dirty-log harvest over guest RAM (get and clear): one bit per page, bit i of byte i >> 3. */
  harvestDirty(): { bitmap: Uint8Array; dirty: number } {
    const vm = this.nested('harvest', 'guest RAM');
    const bitmap = new Uint8Array(Math.ceil(this.memBytes / PAGE_SIZE / 8));
    const dirty = vm.vmspace.harvestDirty(gpa(this.ramBase), this.memBytes, bitmap);
    return { bitmap, dirty: Math.max(dirty, 0) };
  }

  /** Clear the Accessed bits of guest RAM's nested leaves; the number of pages reset. */
  resetAccessed(): number {
    return this.nested('reset-accessed', 'guest RAM').vmspace.resetAccessed(gpa(this.ramBase), this.memBytes);
  }

  /** Evict a host frame: clear every nested PTE that maps it (the guest re-faults it). */
  disconnectFrame(frame: Hfn): number {
    return this.nested('disconnect', `frame ${hex(frame)}`).vmspace.disconnectFrame(frame);
  }

  /** Host frame behind a guest-physical page now (null when not present in the nested tables). */
  frameOf(guestPhys: Gpa): Hfn | null {
    return this.vm?.vmspace.gpt.lookup(pageAlignDown(guestPhys))?.frame ?? null;
  }

  /** Unmap the guest RAM region (RAM_REGION bytes) holding gpa; its next touch is a nested fault. */
  unmapRegion(guestPhys: Gpa): boolean {
    return this.nested('unmap', `region of ${hex(guestPhys)}`).unmapRam(guestPhys);
  }

  /** Map the guest RAM region holding gpa back (the same frames: its contents are kept). */
  remapRegion(guestPhys: Gpa): boolean {
    return this.nested('remap', `region of ${hex(guestPhys)}`).mapRam(guestPhys);
  }

  /** Turn dirty tracking on or off; returns whether it is on (formats without hardware A/D stay off). */
  setDirtyTracking(on: boolean): boolean {
    return this.nested('dirty-tracking', on ? 'on' : 'off').vmspace.setDirtyTracking(on);
  }
}
