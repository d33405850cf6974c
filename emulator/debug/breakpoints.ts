/*
 * Breakpoints as a debugger asks for them: instruction addresses (guest-virtual, as the pc shows
 * them) at which the vCPU stops BEFORE the instruction runs.
 *
 * Each address gets one UC_HOOK_CODE hook over the range [addr, addr] in every vCPU's engine (a
 * Machine of several vCPUs has one engine each, emulator/vcpu-set.ts), so whichever vCPU reaches
 * the address stops there; the hook tells the Machine which engine it fired in. Unicorn decides at
 * translation time which instructions call a code hook, so an instruction outside every range
 * costs nothing: no JavaScript runs per instruction, only at the breakpoints themselves. The hook
 * asks the engine to stop; Unicorn 2.1.1 then ends the run before that instruction executes, with
 * the pc on it (measured: test/emulator/debug/breakpoints.test.ts). The engine's counter has
 * already counted the instruction by then, so the Machine takes it off again (debugSlice).
 *
 * A new breakpoint drops the translated code around its address (MachineDebug.dropCode), so a
 * block translated before it existed cannot run past it (measured: the engine does not re-check
 * its hooks for a cached block). A removed hook is never called again, so removing needs nothing
 * more.
 *
 * To go on from a breakpoint the debugger runs the one instruction under it with that breakpoint
 * lifted (`lifted`), then the rest with every breakpoint in place: a hook that fired again on the
 * instruction it stopped at would never let the guest move.
 *
 * Invariants: at most one hook per address and engine, in every engine or none; a
 * lifted breakpoint is back in place when lifted() returns, even if its body threw.
 */
import type { HookHandle, Unicorn } from '../unicorn/unicorn.js';

export class Breakpoints {
  private readonly hooks = new Map<number, HookHandle[]>();

  constructor(
    /** Every vCPU's engine. */
    private readonly ucs: readonly Unicorn[],
    /** A breakpoint fired in `uc` at `pc`. */
    private readonly hit: (uc: Unicorn, pc: number) => void,
    /** Drop translated code covering [addr, addr + len) (MachineDebug.dropCode). */
    private readonly dropCode: (addr: number, len: number) => void,
  ) {}

  /** The addresses with a breakpoint, lowest first. */
  addresses(): number[] {
    return [...this.hooks.keys()].sort((a, b) => a - b);
  }

  has(addr: number): boolean {
    return this.hooks.has(addr);
  }

  add(addr: number): void {
    if (this.hooks.has(addr)) return;
    this.hooks.set(
      addr,
      this.ucs.map((uc) => uc.hookCode((pc) => this.hit(uc, pc), addr, addr)),
    );
    this.dropCode(addr, 1);
  }

  remove(addr: number): boolean {
    const h = this.hooks.get(addr);
    if (h === undefined) return false;
    h.forEach((one, i) => this.ucs[i].hookDel(one));
    this.hooks.delete(addr);
    return true;
  }

  /** Run `body` with the breakpoint at addr (if any) lifted. */
  lifted<T>(addr: number, body: () => T): T {
    if (!this.remove(addr)) return body();
    try {
      return body();
    } finally {
      this.add(addr);
    }
  }

  clear(): void {
    for (const a of [...this.hooks.keys()]) this.remove(a);
  }
}
