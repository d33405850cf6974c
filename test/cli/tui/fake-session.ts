/*
 * A fake, in-memory TuiSession for the TUI tests only. It models just enough of a machine to make
 * every pane show something and to change in a known way when a verb is called:
 *
 *   - `advance(n)` (test-only) runs n fake instructions: the PC moves, rax/x0 counts, and
 *     instruction i touches page (i * 3) % pages, writing every second one, logging a fault the
 *     first time a page is touched (page 0 of the MMIO region logs an mmio fault);
 *   - step() = advance(1); stepSlice() = advance(sliceSize); both leave the guest paused;
 *   - harvest() turns dirty pages into accessed ones and reports how many there were;
 *   - evict(gpa) makes that page not present and drops its frame; toggleRegion unmaps/remaps;
 *   - every verb logs an 'action' entry, as the real adapter must.
 *
 * Entries in the walk and the root pointer are built and decoded by the real formats of mmu/gpt,
 * so the GPT pane tests see genuine EPT / nPT / stage-2 values.
 */
import type { Arch } from '../../../emulator/arch.js';
import { gpa as toGpa, gva as toGva, hfn as toHfn, hpa as toHpa, PAGE_SIZE } from '../../../mmu/addr.js';
import type { Gpa, Gva } from '../../../mmu/addr.js';
import { fieldsOf, rawOf, walkKind } from '../../../cli/tui/gpt-fields.js';
import { PAGE_ACCESSED, PAGE_DIRTY, PAGE_NOT_PRESENT, PAGE_PRESENT } from '../../../cli/tui/model.js';
import { FORMATS } from '../../../mmu/gpt/formats.js';
import { newWords } from '../../../mmu/gpt/entry-format.js';
import type { PteWords } from '../../../mmu/gpt/entry-format.js';
import type {
  ActionOutcome,
  ClientInfo,
  FaultLogEntry,
  GptFormatName,
  HoldLogEntry,
  RegionInfo,
  RunState,
  TuiSession,
  TuiSnapshot,
  Walk2dRef,
  WalkStep,
} from '../../../cli/tui/model.js';
import { LAYOUT } from '../../../emulator/arch.js';
import { REGISTER_NAMES } from '../../../cli/tui/model.js';

export interface FakeOptions {
  arch?: Arch;
  format?: GptFormatName;
  pages?: number;
  guestPaging?: boolean;
  sliceSize?: number;
}

const ROOT_HPA = 0x5000;

export class FakeSession implements TuiSession {
  readonly arch: Arch;
  readonly format: GptFormatName;
  readonly pages: number;
  readonly base: number;
  readonly sliceSize: number;
  guestPaging: boolean;
  state: RunState = 'paused';
  reason: string | undefined = 'paused at start';
  instructions = 0;
  generation = 1;
  stamp = 1;
  tracking = true;
  harvests = 0;
  dirtySinceHarvest = 0;
  closed = 0;
  selected: number | null = null;
  selectedGva: number | null = null;
  readonly states: Uint8Array;
  readonly log: FaultLogEntry[] = [];
  readonly holdLog: HoldLogEntry[] = [];
  readonly regions: RegionInfo[];
  readonly calls: string[] = [];
  private seq = 0;
  private counter = 0n;

  constructor(opts: FakeOptions = {}) {
    this.arch = opts.arch ?? 'x86_64';
    this.format = opts.format ?? (this.arch === 'arm64' ? 's2' : 'ept');
    this.pages = opts.pages ?? 64;
    this.guestPaging = opts.guestPaging ?? false;
    this.sliceSize = opts.sliceSize ?? 10;
    this.base = LAYOUT[this.arch].ramBase;
    this.states = new Uint8Array(this.pages);
    const ramPages = this.pages - 4;
    this.regions = [
      { gpa: toGpa(this.base), len: ramPages * PAGE_SIZE, object: 'ram', prot: 7, mmio: false, mapped: true },
      { gpa: toGpa(this.base + ramPages * PAGE_SIZE), len: 4 * PAGE_SIZE, object: 'uart', prot: 3, mmio: true, mapped: true },
    ]; // prettier-ignore
  }

  /* ---- test-only drivers ---- */

  advance(n: number): void {
    for (let k = 0; k < n; k++) this.oneInstruction();
    this.stamp++;
  }

  private oneInstruction(): void {
    const i = this.instructions++;
    this.counter++;
    const page = (i * 3) % this.pages;
    const region = this.regionAt(this.base + page * PAGE_SIZE);
    if (!region || !region.mapped) return;
    const write = i % 2 === 1;
    if (this.states[page] === PAGE_NOT_PRESENT) {
      const kind = region.mmio ? 'mmio' : write ? 'write' : i % 5 === 0 ? 'exec' : 'read';
      this.push({
        origin: 'fault',
        kind,
        gpa: toGpa(this.base + page * PAGE_SIZE),
        gva: this.guestPaging ? toGva(0x40_0000 + page * PAGE_SIZE) : undefined,
        result: region.mmio ? 'mmio' : 'mapped',
        hfn: region.mmio ? undefined : toHfn(0x100 + page),
        client: 0,
      });
    }
    const next = write && this.tracking ? PAGE_DIRTY : Math.max(this.states[page], PAGE_ACCESSED);
    if (next === PAGE_DIRTY && this.states[page] !== PAGE_DIRTY) this.dirtySinceHarvest++;
    this.states[page] = next;
    if (region.mmio) {
      this.holdLog.push({
        seq: ++this.seq,
        client: 1,
        op: 'hold',
        gpa: toGpa(this.base + page * PAGE_SIZE),
        prot: 3,
      });
    }
  }

  private regionAt(gpa: number): RegionInfo | undefined {
    return this.regions.find((r) => gpa >= r.gpa && gpa < r.gpa + r.len);
  }

  private push(e: Omit<FaultLogEntry, 'seq'>): void {
    this.log.push({ seq: ++this.seq, ...e });
  }

  private act(name: string, ok: boolean, note: string): ActionOutcome {
    this.calls.push(name);
    this.push({ origin: 'action', kind: 'action', note });
    this.stamp++;
    return { ok, note };
  }

  /* ---- TuiSession ---- */

  pause(): ActionOutcome {
    this.state = 'paused';
    this.reason = 'paused by user';
    return this.act('pause', true, 'pause');
  }

  resume(): ActionOutcome {
    this.state = 'running';
    this.reason = undefined;
    return this.act('resume', true, 'run');
  }

  step(): ActionOutcome {
    this.state = 'paused';
    this.advance(1);
    return this.act('step', true, `step: 1 instruction (total ${this.instructions})`);
  }

  stepSlice(): ActionOutcome {
    this.state = 'paused';
    this.advance(this.sliceSize);
    return this.act('slice', true, `slice: ${this.sliceSize} instructions`);
  }

  changeSpeed(step: 1 | -1): ActionOutcome {
    return this.act(step > 0 ? 'faster' : 'slower', true, `speed: ${step > 0 ? 'faster' : 'slower'}`);
  }

  harvest(): ActionOutcome {
    let n = 0;
    for (let i = 0; i < this.pages; i++) {
      if (this.states[i] !== PAGE_DIRTY) continue;
      this.states[i] = PAGE_ACCESSED;
      n++;
    }
    this.harvests++;
    this.dirtySinceHarvest = 0;
    if (n) this.generation++;
    return this.act('harvest', true, `harvest: ${n} pages dirty`);
  }

  toggleDirtyTracking(): ActionOutcome {
    this.tracking = !this.tracking;
    return this.act('toggle-dirty', true, `dirty tracking ${this.tracking ? 'on' : 'off'}`);
  }

  resetAccessed(): ActionOutcome {
    let n = 0;
    for (let i = 0; i < this.pages; i++) {
      if (this.states[i] !== PAGE_ACCESSED) continue;
      this.states[i] = PAGE_PRESENT;
      n++;
    }
    this.generation++;
    return this.act('reset-accessed', true, `reset accessed bits: ${n} pages`);
  }

  evict(page: Gpa): ActionOutcome {
    const i = (page - this.base) / PAGE_SIZE;
    if (this.states[i] === PAGE_NOT_PRESENT)
      return this.act('evict', false, `evict ${hexs(page)}: not present`);
    this.states[i] = PAGE_NOT_PRESENT;
    this.generation++;
    return this.act('evict', true, `evict ${hexs(page)}: hfn ${hexs(0x100 + i)} disconnected from 1 PTE`);
  }

  toggleRegion(page: Gpa): ActionOutcome {
    const r = this.regionAt(page);
    if (!r) return this.act('toggle-region', false, `no region at ${hexs(page)}`);
    const idx = this.regions.indexOf(r);
    const mapped = !r.mapped;
    this.regions[idx] = { ...r, mapped };
    if (!mapped) {
      const first = (r.gpa - this.base) / PAGE_SIZE;
      this.states.fill(0, first, first + r.len / PAGE_SIZE);
      this.generation++;
    }
    return this.act('toggle-region', true, `${mapped ? 'remap' : 'unmap'} ${r.object}`);
  }

  /* One vCPU and one guest: the session refuses, as a real one of each does. */
  show(which: 'cpu' | 'vm', index: number): ActionOutcome {
    this.calls.push(`show ${which} ${index}`);
    return { ok: false, note: `${which}: there is only one here` };
  }

  select(page: Gpa, gvaOfInterest?: Gva | null): void {
    this.calls.push(`select ${hexs(page)}${gvaOfInterest ? ' gva ' + hexs(gvaOfInterest) : ''}`);
    this.selected = page;
    if (gvaOfInterest !== undefined) this.selectedGva = gvaOfInterest;
    this.stamp++;
  }

  close(): void {
    this.closed++;
    this.calls.push('close');
  }

  snapshot(): TuiSnapshot {
    const clients: ClientInfo[] = [
      { id: 0, name: 'vcpu0', state: this.state === 'running' ? 'ON_CPU' : 'IDLE', holds: [] },
      {
        id: 1,
        name: 'uart',
        state: this.holdLog.length ? 'ACTIVE' : 'IDLE',
        holds: this.holdLog.length
          ? [{ gpa: this.holdLog[this.holdLog.length - 1].gpa, prot: 3, deferredDirty: true, chain: 7 }]
          : [],
      },
    ];
    return {
      stamp: this.stamp,
      guest: `fake-${this.arch}.s`,
      arch: this.arch,
      format: this.format,
      run: { state: this.state, reason: this.reason },
      guestPaging: this.guestPaging,
      cpu: this.cpu(),
      faults: { entries: this.log.slice(-200), total: this.log.length },
      clients,
      holdLog: this.holdLog.slice(-8),
      memory: {
        base: toGpa(this.base),
        pages: this.pages,
        states: this.states.slice(),
        dirtyTracking: this.tracking,
        dirtySinceHarvest: this.dirtySinceHarvest,
        dirtyRate: this.state === 'running' ? 12 : 0,
        harvests: this.harvests,
        regions: this.regions.slice(),
      },
      gpt: {
        format: this.format,
        rootPointer: this.rootPointer(),
        generation: this.generation,
        levels: [
          { level: 4, tables: 1, refcounts: [1] },
          { level: 3, tables: 1, refcounts: [1] },
          { level: 2, tables: 1, refcounts: [1] },
          { level: 1, tables: 1, refcounts: { min: this.pages, max: this.pages, total: this.pages } },
        ],
      },
      selection: this.selection(),
      pools: {
        pvFree: 120,
        pvReserve: 32,
        pvLowWater: 16,
        tablesInUse: 4,
        tablesCached: 2,
        tablesReserve: 8,
        stolen: 0,
      },
      console: this.instructions ? `hello ${this.instructions}` : undefined,
    };
  }

  /* ---- snapshot parts ---- */

  private cpu(): TuiSnapshot['cpu'] {
    const names = REGISTER_NAMES[this.arch];
    const pcName = this.arch === 'x86_64' ? 'rip' : 'pc';
    const step = this.arch === 'x86_64' ? 3 : 4;
    const pc = LAYOUT[this.arch].defaultLoad + this.instructions * step;
    const regs = names.map((name, i) => {
      if (name === pcName) return { name, value: BigInt(pc) };
      if (name === 'rflags') return { name, value: 0x246n };
      if (name === 'nzcv') return { name, value: 0x6000_0000n };
      if (i === 0) return { name, value: this.counter };
      return { name, value: BigInt(i) * 0x1000n };
    });
    const disasm = [-2, -1, 0, 1, 2].map((d) => ({
      addr: toGva(pc + d * step),
      text: this.arch === 'x86_64' ? `add rax, ${d + 2}` : `add x0, x0, #${d + 2}`,
      isPc: d === 0,
    }));
    return { regs, disasm, instructions: this.instructions, ips: this.state === 'running' ? 1_500_000 : 0 };
  }

  private rootPointer(): TuiSnapshot['gpt']['rootPointer'] {
    const w = this.rootWords();
    return { raw: rawOf(w.lo, w.hi), fields: fieldsOf(FORMATS[this.format].decode(w.lo, w.hi, 'root')) };
  }

  private rootWords(): PteWords {
    const w = newWords();
    FORMATS[this.format].rootPointer(w, toHfn(ROOT_HPA / PAGE_SIZE), { adEnabled: true, vmid: 1 });
    return w;
  }

  /* Entries built by the real format: a table pointer, or a leaf with A (and D) set. */
  private entryWords(level: number, address: number, dirty: boolean): PteWords {
    const f = FORMATS[this.format];
    const w = newWords();
    if (level !== 1) {
      f.table(w, toHfn(address / PAGE_SIZE));
      return w;
    }
    f.leaf(w, toHfn(address / PAGE_SIZE), 7, 'wb');
    if (dirty) f.setDirty(w, w.lo, w.hi);
    else f.setAccessed(w, w.lo, w.hi);
    return w;
  }

  private selection(): TuiSnapshot['selection'] {
    if (this.selected === null) return { gpa: null, walk: [], frame: null };
    const page = (this.selected - this.base) / PAGE_SIZE;
    const present = this.states[page] !== PAGE_NOT_PRESENT;
    const walk: WalkStep[] = [];
    for (let level = 4; level >= 1; level--) {
      const leaf = level === 1;
      const target = leaf ? (0x100 + page) * PAGE_SIZE : ROOT_HPA + (5 - level) * PAGE_SIZE;
      const w =
        leaf && !present ? newWords() : this.entryWords(level, target, this.states[page] === PAGE_DIRTY);
      const d = FORMATS[this.format].decode(w.lo, w.hi, leaf ? 'leaf' : 'table');
      const raw = rawOf(w.lo, w.hi);
      const index = Math.floor(this.selected / 2 ** (12 + 9 * (level - 1))) % 512;
      walk.push({
        level,
        index,
        pteHpa: toHpa(ROOT_HPA + (4 - level) * PAGE_SIZE + index * 8),
        raw,
        fields: fieldsOf(d),
        kind: walkKind(d),
        hfn: d.present ? toHfn(target / PAGE_SIZE) : undefined,
      });
    }
    const frame = present
      ? {
          hfn: toHfn(0x100 + page),
          headKind: page % 2 ? ('list' as const) : ('single' as const),
          ptes: page % 2 ? [toHpa(0x8008 + page * 8), toHpa(0x9010)] : [toHpa(0x8008 + page * 8)],
          attrs: this.states[page] === PAGE_DIRTY ? ['referenced', 'modified'] : ['referenced'],
        }
      : null;
    const walk2d: Walk2dRef[] | undefined =
      this.guestPaging && this.selectedGva !== null
        ? [
            { order: 1, space: 'nested', level: 'L4', gpa: toGpa(this.base + 0x1000), hpa: toHpa(0x5000), raw: 0x6007n, note: 'for guest PML4 table' },
            { order: 2, space: 'guest', level: 'PML4', gpa: toGpa(this.base + 0x1000), hpa: toHpa(0x101000), raw: 0x2003n, note: 'table' },
            { order: null, space: 'data', level: '', gpa: toGpa(this.selected), hpa: toHpa((0x100 + page) * PAGE_SIZE) },
          ]
        : undefined; // prettier-ignore
    return {
      gpa: toGpa(this.selected),
      gva: this.selectedGva === null ? null : toGva(this.selectedGva),
      walk,
      walk2d,
      frame,
    };
  }
}

function hexs(n: number): string {
  return '0x' + n.toString(16);
}
