// A small deterministic MachinePort for the SessionCore tests (test-only): a counter of
// instructions that stops at `stopAt`, one dirty page once anything ran, and MMU verbs that only
// record that they were called.
import { gpa, gva } from '../../../mmu/addr.js';
import type { Gpa } from '../../../mmu/addr.js';
import type { MachinePort } from '../../../cli/tui/session-core.js';
import type { ActionOutcome } from '../../../cli/tui/model.js';

export class Port implements MachinePort {
  readonly guest = 'loop.s';
  readonly arch = 'x86_64' as const;
  readonly format = 'ept' as const;
  readonly memory = { base: gpa(0), pages: 16 };
  insns = 0;
  closed = 0;
  tracking = true;
  calls: string[] = [];
  constructor(private readonly stopAt = Infinity) {}
  run(max: number): string | null {
    if (this.insns >= this.stopAt) return 'hlt';
    this.insns = Math.min(this.stopAt, this.insns + max);
    return this.insns >= this.stopAt ? 'hlt' : null;
  }
  instructions = () => this.insns;
  regs = () => ({ rip: BigInt(0x10_0000 + this.insns), rax: BigInt(this.insns), cr0: 1n });
  disasm = () => [{ addr: gva(0x10_0000 + this.insns), text: 'nop', isPc: true }];
  guestPaging = () => false;
  gpt = () => ({
    format: 'ept' as const,
    rootPointer: { raw: 0x505en, fields: [] },
    generation: 1,
    levels: [],
  });
  pageStates(out: Uint8Array) {
    out[0] = this.insns > 0 ? 3 : 0;
  }
  walk = (page: Gpa) => {
    this.calls.push(`walk ${page}`);
    return [];
  };
  frameOf = () => null;
  clients = () => [{ id: 0, name: 'vcpu0', state: 'IDLE' as const, holds: [] }];
  pools = () => ({
    pvFree: 1,
    pvReserve: 2,
    pvLowWater: 3,
    tablesInUse: 4,
    tablesCached: 5,
    tablesReserve: 6,
    stolen: 0,
  });
  regions = () => [];
  dirtyTracking = () => this.tracking;
  private did(note: string): ActionOutcome {
    this.calls.push(note);
    return { ok: true, note };
  }
  harvest = () => this.did('harvest: 1 page dirty');
  setDirtyTracking = (on: boolean) => ((this.tracking = on), this.did(`dirty tracking ${on ? 'on' : 'off'}`));
  resetAccessed = () => this.did('reset accessed');
  evict = (p: Gpa) => this.did(`evict ${p}`);
  toggleRegion = (p: Gpa) => this.did(`unmap ${p}`);
  close() {
    this.closed++;
  }
}
