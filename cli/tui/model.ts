/*
 * The data contract between the terminal UI and the machine.
 *
 * The views never touch the machine. They see it only through two things defined here:
 *
 *   TuiSnapshot  everything the six panes can show, as plain data, taken at one instant;
 *   TuiSession   the handful of verbs the user can ask for (pause, step, harvest, evict, ...);
 *                show() and select() choose what the panes describe (a vCPU, a guest, a page).
 *
 * Who implements the session. SessionCore (session-core.ts) is the TuiSession: it does the
 * running (run-loop.ts, pace.ts), the step rules, action logging and the stamp, around a small
 * MachinePort. MachineTuiPort (machine-port.ts) is the port over the real Machine, and
 * openTuiSession() there wires Machine, event stream and SessionCore together for `nestvm tui`.
 * The port's readers are one-liners over the side-effect-free helpers of this folder:
 *
 *   collector.ts      the MMU event stream -> fault log, holds log, dirty counts
 *   gpt-view.ts       Gpt -> GptInfo, per-level tables, the walk of a page, the page-state grid
 *   inspect.ts        VmClient -> ClientInfo; Pmap -> FrameInfo (PV head, PTE locations); pools
 *   walk2d.ts         mmu/guest-walk's two-dimensional walk -> Walk2dRef[]
 *   disasm-window.ts  capstone + guest bytes -> the lines around the PC
 *   gpt-fields.ts     mmu/gpt's decode() -> printed fields (the one decoder of entry bits)
 *
 * Tests drive the same views with a fake session or a fake port (test/cli/tui/).
 *
 * The UI side of the bargain:
 *
 *   - drawing reads snapshots only; no view ever calls the session, so drawing cannot change
 *     machine state;
 *   - the one container (app.tsx) calls snapshot() on a timer (ticker.ts; 100 ms by default, so
 *     10 Hz), never once per event, and re-renders only when `stamp` moved;
 *   - every verb returns an ActionOutcome, and SessionCore also appends an 'action' entry to the
 *     fault log (and to --trace), so every user action leaves a visible record.
 *
 * Invariants every session keeps (SessionCore does):
 *   - `stamp` differs whenever any other field differs (SessionCore moves it when the collector's
 *     stamp, the instruction count, the run state, an action or the selection moved). Equal
 *     stamps let the UI skip a render; a stamp that fails to move leaves the screen stale, never
 *     wrong-but-new.
 *   - `memory.states.length === memory.pages`; page i is guest-physical memory.base + i * 4096.
 *   - `selection` describes the page last passed to select() (or the default the session picks).
 *   - snapshot() is cheap (no walk of all memory per call beyond filling `states`) and has no
 *     side effects; arrays may be reused between calls only if `stamp` changes when they do.
 *
 * Addresses carry the brands of mmu/addr.ts so the space of every number is explicit.
 */
import type { Arch } from '../../emulator/arch.js';
import type { Gpa, Gva, Hfn, Hpa } from '../../mmu/addr.js';
import type { PvHeadKind } from '../../mmu/events.js';

export type { Arch, PvHeadKind };

/** Nested page table formats: Intel EPT, AMD nPT, arm64 stage-2. */
export type GptFormatName = 'ept' | 'npt' | 's2';

export const FORMAT_LABEL: Record<GptFormatName, string> = {
  ept: 'Intel EPT',
  npt: 'AMD nPT',
  s2: 'arm64 stage-2',
};

/** The register each format's root pointer lives in. */
export const ROOT_POINTER_NAME: Record<GptFormatName, string> = { ept: 'EPTP', npt: 'nCR3', s2: 'VTTBR' };

/** The registers the CPU pane expects, in display order. The adapter supplies them in this order. */
export const REGISTER_NAMES: Record<Arch, readonly string[]> = {
  x86_64: [
    'rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'rsp',
    'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15',
    'rip', 'rflags',
  ],
  arm64: [...Array.from({ length: 31 }, (_, i) => `x${i}`), 'sp', 'pc', 'nzcv'],
}; // prettier-ignore

/** Register values: bigint for full 64-bit precision; a number is accepted below 2^53. */
export interface RegValue {
  readonly name: string;
  readonly value: bigint | number;
}

export interface DisasmLine {
  readonly addr: Gva;
  /** Mnemonic and operands, e.g. "mov rax, 1". */
  readonly text: string;
  readonly bytes?: string;
  readonly isPc: boolean;
}

export interface CpuInfo {
  readonly regs: readonly RegValue[];
  /** A few instructions around the PC (capstone), PC line marked. */
  readonly disasm: readonly DisasmLine[];
  /** Instructions executed since the guest started. */
  readonly instructions: number;
  /** Instructions per second over the last refresh interval (the adapter measures it). */
  readonly ips: number;
  /** Free text such as "long mode, paging on" or "EL1, MMU off". */
  readonly mode?: string;
}

export type RunState = 'running' | 'paused' | 'stopped';

export interface RunInfo {
  readonly state: RunState;
  /** Why the guest stopped or paused, in plain words ("hlt", "exit status 3", "nested fault: no mapping at 0x..."). */
  readonly reason?: string;
  /** The speed limit in instructions a second (pace.ts), or undefined at full speed. */
  readonly speed?: number;
  /** With `tui --gdb`: who has the guest and what gdb last did ("gdb (127.0.0.1:1234) has it: breakpoint"). */
  readonly debugger?: string;
}

/*
 * The fault log. One entry per nested fault (a VM exit), per fill the adapter chooses to show (a
 * hardware walk that found a present leaf: no exit), and per user action. `kind` is what the
 * filter selects on: an access that ended at a device is 'mmio' whatever its direction.
 */
export type FaultKind = 'read' | 'write' | 'exec' | 'mmio' | 'action' | 'evict' | 'major';
export type FaultOrigin = 'fault' | 'fill' | 'action' | 'reclaim' | 'watch';
/** mapped / mmio / nomap / rights as in the 'fault' event; 'filled' for a fill without exit;
 * 'watch' for a nested fault on a page a debugger's watchpoint withholds rights on. */
export type FaultResult = 'mapped' | 'mmio' | 'nomap' | 'rights' | 'filled' | 'watch';

export interface FaultLogEntry {
  readonly seq: number;
  readonly origin: FaultOrigin;
  readonly kind: FaultKind;
  readonly gpa?: Gpa;
  /** Present when the guest pages: the guest-virtual address the access was made through. */
  readonly gva?: Gva;
  readonly result?: FaultResult;
  /** The host frame the fault mapped. */
  readonly hfn?: Hfn;
  readonly client?: number;
  /** For actions: what happened, e.g. "harvest: 12 pages dirty". */
  readonly note?: string;
}

export interface FaultLogInfo {
  /** The most recent entries, oldest first (the adapter keeps a ring, a few hundred is plenty). */
  readonly entries: readonly FaultLogEntry[];
  /** How many entries were ever logged (entries may be a suffix). */
  readonly total: number;
}

/** VmClient states (DESIGN §3). */
export type ClientState = 'IDLE' | 'ACTIVE' | 'HOLD' | 'ON_CPU' | 'ORPHANED' | 'DESTROY';

export interface HoldInfo {
  readonly gpa: Gpa;
  /** PROT_READ | PROT_WRITE | PROT_EXEC bits (mmu/prot.ts). */
  readonly prot: number;
  /** Releasing this write hold will not mark the page dirty (the holder marks it later). */
  readonly deferredDirty: boolean;
  /** Identifier of the chain this hold belongs to (holds released together), if chained. */
  readonly chain?: number;
  readonly hfn?: Hfn;
}

export interface ClientInfo {
  readonly id: number;
  /** e.g. "vcpu0", "uart", "loader". */
  readonly name: string;
  readonly state: ClientState;
  readonly holds: readonly HoldInfo[];
  /** With several vCPUs (--cpus N): the generation a vCPU's client last recorded. */
  readonly generation?: number;
}

/** Recent hold/release activity, so holds can be seen as they are taken and released. */
export interface HoldLogEntry {
  readonly seq: number;
  readonly client: number;
  readonly op: 'hold' | 'release';
  readonly gpa: Gpa;
  readonly prot?: number;
  /** For a release: whether it marked the page dirty. */
  readonly dirty?: boolean;
}

/* Page states in the dirty-tracking grid. */
export const PAGE_NOT_PRESENT = 0;
/** Not present because reclaim took its frame: the content is in the host's swap store. */
export const PAGE_SWAPPED = 1;
export const PAGE_PRESENT = 2;
export const PAGE_ACCESSED = 3;
export const PAGE_DIRTY = 4;

export interface RegionInfo {
  readonly gpa: Gpa;
  readonly len: number;
  /** The object's name, e.g. "ram", "uart". */
  readonly object: string;
  readonly prot: number;
  readonly mmio: boolean;
  /** False after the user unmapped it with toggleRegion (it can be remapped). */
  readonly mapped: boolean;
}

export interface MemoryInfo {
  /** Guest-physical address of page 0 of the grid. */
  readonly base: Gpa;
  readonly pages: number;
  /** One byte per page: PAGE_NOT_PRESENT / SWAPPED / PRESENT / ACCESSED / DIRTY (dirty implies accessed). */
  readonly states: Uint8Array;
  readonly dirtyTracking: boolean;
  /** Pages dirtied since the last harvest. */
  readonly dirtySinceHarvest: number;
  /** Pages per second becoming dirty, measured by the adapter over its last interval. */
  readonly dirtyRate: number;
  readonly harvests: number;
  readonly regions: readonly RegionInfo[];
}

export interface Field {
  readonly name: string;
  readonly value: string;
}

export interface LevelInfo {
  /** 4 = root ... 1 = leaf tables (nestvm numbers levels like this everywhere). */
  readonly level: number;
  readonly tables: number;
  /** Of those, populated but without a host frame (memory short, or stolen by the pool). */
  readonly unbacked?: number;
  /** One reference count per table at this level, or a summary when there are many. */
  readonly refcounts:
    readonly number[] | { readonly min: number; readonly max: number; readonly total: number };
}

export interface GptInfo {
  readonly format: GptFormatName;
  /** The root pointer register; fields from decode(lo, hi, 'root') through gpt-fields.ts fieldsOf(). */
  readonly rootPointer: { readonly raw: bigint; readonly fields: readonly Field[] };
  readonly generation: number;
  readonly levels: readonly LevelInfo[];
}

/** One entry on the walk of the selected guest-physical page, root first. */
export interface WalkStep {
  readonly level: number;
  /** Index of the entry within its table (0..511). */
  readonly index: number;
  /** Host-physical location of the entry. */
  readonly pteHpa: Hpa;
  readonly raw: bigint;
  /** Its bits decoded: mmu/gpt's format decode() through gpt-fields.ts fieldsOf(). */
  readonly fields: readonly Field[];
  readonly kind: 'table' | 'leaf' | 'empty';
  /** Frame the entry points to (next table or the mapped page). */
  readonly hfn?: Hfn;
}

/*
 * The two-dimensional walk of a GVA, as the list of memory references the hardware makes, in
 * order: for each guest table level, the nested walk that finds the guest table entry in host
 * memory (space 'nested'), then the guest entry read itself (space 'guest'); last the nested walk
 * of the final address and the data (space 'data'). walk2d.ts builds this list from
 * mmu/guest-walk's walkTwoDimensional(), through cli/walk-refs.ts as `nestvm walk --virtual` does.
 */
export interface Walk2dRef {
  /** 1, 2, ... as `walk --virtual` numbers references; null for the data row, which is not one. */
  readonly order: number | null;
  readonly space: 'guest' | 'nested' | 'data';
  /** Level as each side's manual names it: 'PML4E'..'PTE' (x86 guest, EPT, nPT) or 'L0'..'L3' (arm64, stage-2). */
  readonly level: string;
  /** nested: the address being translated; guest: the entry's own address; data: the final GPA. */
  readonly gpa: Gpa;
  /** nested and guest: where the entry was read in host memory; data: where the data lives. */
  readonly hpa?: Hpa;
  readonly raw?: bigint;
  /** e.g. "for guest PML4 table", "table", "leaf", or why the walk stopped. */
  readonly note?: string;
}

export interface FrameInfo {
  readonly hfn: Hfn;
  readonly headKind: PvHeadKind;
  /** Host-physical locations of every PTE that maps the frame. */
  readonly ptes: readonly Hpa[];
  /** Frame attribute flags that are set, e.g. ["referenced", "modified"]. */
  readonly attrs: readonly string[];
  /** Per PTE (the order of `ptes`): its VM, the page it maps and its rights (from the PV list). */
  readonly mappers?: readonly { readonly vm: number; readonly gpa: number; readonly prot: number }[];
  /** Pages that use the frame when it is shared (same-page merging), with the VM of each. */
  readonly sharedBy?: readonly number[];
}

export interface SelectionInfo {
  readonly gpa: Gpa | null;
  /** The guest-virtual address whose two-dimensional walk is shown (guest paging only). */
  readonly gva?: Gva | null;
  readonly walk: readonly WalkStep[];
  readonly walk2d?: readonly Walk2dRef[];
  /** The host frame behind the selected page, or null when it is not mapped. */
  readonly frame: FrameInfo | null;
}

export interface PoolInfo {
  readonly pvFree: number;
  readonly pvReserve: number;
  readonly pvLowWater: number;
  readonly tablesInUse: number;
  readonly tablesCached: number;
  readonly tablesReserve: number;
  readonly stolen: number;
  readonly hostFramesFree?: number;
  readonly hostFramesTotal?: number;
}

/** Reclaim under overcommit, for the Frames pane. */
export interface ReclaimInfo {
  /** Guest RAM has fewer host frames than pages, so reclaim can evict (else it never runs). */
  readonly overcommitted: boolean;
  readonly policy: string;
  /** Where the policy's next choice starts (clock's hand; fifo's oldest page), if anywhere. */
  readonly hand: { readonly hfn: Hfn; readonly gpa: Gpa | -1 } | null;
  /** The last victims, newest last. */
  readonly victims: readonly { readonly hfn: Hfn; readonly gpa: Gpa | -1; readonly dirty: boolean }[];
  readonly evictions: number;
  readonly swapIns: number;
  readonly cleanDrops: number;
  readonly framesInUse: number;
  readonly framesTotal: number;
}

/*
 * A live migration (`tui --migrate`), for the Dirty pane: the rounds closed so far, the round being
 * sent, and once the pre-copy ended the hand-over and the check against an unmigrated run. The
 * other panes show `side`: the source until the hand-over, the destination after it.
 */
export interface MigrationRound {
  readonly round: number;
  readonly sent: number;
  readonly dirtied: number;
  /** Pages dirtied per million guest instructions. */
  readonly rate: number;
  readonly remaining: number;
}

export interface MigrationInfo {
  readonly phase: 'warm-up' | 'pre-copy' | 'destination' | 'ended';
  readonly side: 'source' | 'destination';
  readonly rounds: readonly MigrationRound[];
  /** The round being sent: pages sent of those queued. */
  readonly open: { readonly round: number; readonly sent: number; readonly queued: number } | null;
  /** After the pre-copy: converged or not, the stop-and-copy, the RAM check. */
  readonly handover: {
    readonly converged: boolean;
    readonly stopAndCopy: number;
    readonly ram: 'equal' | 'differs';
  } | null;
  /** Once the guest ended: how it compares with an unmigrated run, in plain words. */
  readonly verdict: string | null;
}

export interface TuiSnapshot {
  readonly stamp: number;
  /** The guest's file name as given on the command line. */
  readonly guest: string;
  readonly arch: Arch;
  readonly format: GptFormatName;
  readonly run: RunInfo;
  readonly guestPaging: boolean;
  readonly cpu: CpuInfo;
  readonly faults: FaultLogInfo;
  readonly clients: readonly ClientInfo[];
  readonly holdLog: readonly HoldLogEntry[];
  readonly memory: MemoryInfo;
  readonly gpt: GptInfo;
  readonly selection: SelectionInfo;
  readonly pools: PoolInfo;
  readonly reclaim?: ReclaimInfo;
  /** Last line of guest console output, if any. */
  readonly console?: string;
  /** With `tui --migrate`: the migration so far. */
  readonly migration?: MigrationInfo;
  /** With several vCPUs or guests: which one the panes show (absent with one of each). */
  readonly shown?: ShownInfo;
}

/** The vCPU the CPU pane shows (`tui --cpus N`), numbered from 0 as the Holds pane names them. */
export interface VcpuShown {
  readonly index: number;
  readonly count: number;
  /** 'running' (powered on), 'powered off' or 'halted'. */
  readonly power: string;
  /** Its client's id, so the Holds pane can mark its row. */
  readonly client?: number;
  /** Instructions this vCPU has run. */
  readonly instructions: number;
}

/** The guest every pane shows (`tui a.elf b.elf`), numbered from 0 as `run` tags consoles [vm0]. */
export interface VmShown {
  readonly index: number;
  readonly count: number;
  readonly name: string;
  /** Instructions this guest has run. */
  readonly instructions: number;
  /** How it ended, once it did (the others may still run). */
  readonly ended?: string;
}

export interface ShownInfo {
  readonly cpu?: VcpuShown;
  readonly vm?: VmShown;
}

/** What a verb did, in one line for the status bar. ok=false: refused or nothing to do. */
export interface ActionOutcome {
  readonly ok: boolean;
  readonly note: string;
}

/*
 * The verbs. Each runs synchronously and returns when its effect is visible in the next snapshot.
 * While state is 'running' the adapter itself keeps the guest going (slices scheduled with
 * setImmediate, so the UI timer still fires); the TUI only asks it to pause, resume or step.
 */
export interface TuiSession {
  snapshot(): TuiSnapshot;
  pause(): ActionOutcome;
  resume(): ActionOutcome;
  /** Execute one instruction (pauses first if running). */
  step(): ActionOutcome;
  /** Execute one slice (sliceSize instructions) then pause. */
  stepSlice(): ActionOutcome;
  /** One step up (+1: faster) or down (-1: slower) the speed ladder (pace.ts SPEEDS). */
  changeSpeed(step: 1 | -1): ActionOutcome;
  /** Harvest the dirty log now: clear dirty bits, report how many pages were dirty. */
  harvest(): ActionOutcome;
  toggleDirtyTracking(): ActionOutcome;
  /** Reset accessed bits across guest memory. */
  resetAccessed(): ActionOutcome;
  /** Disconnect (evict) the host frame behind this guest page from every PTE that maps it. */
  evict(page: Gpa): ActionOutcome;
  /** Unmap the region containing this page, or map it back if the user unmapped it. */
  toggleRegion(page: Gpa): ActionOutcome;
  /** Show another vCPU (CPU pane) or guest (every pane); no machine effect, so not logged. */
  show(which: 'cpu' | 'vm', index: number): ActionOutcome;
  /** Choose the page (and optionally the GVA) the walk, 2D walk and frame panes describe. No machine effect. */
  select(page: Gpa, gvaOfInterest?: Gva | null): void;
  /** Stop the guest and release everything; called once when the user quits. Must be idempotent. */
  close(): void;
  /** Instructions per stepSlice(), shown on the help screen. */
  readonly sliceSize: number;
}
