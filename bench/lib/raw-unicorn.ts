/*
 * The raw-Unicorn baseline every guest-speed benchmark compares against, in one place:
 *
 *   rawCounted   Unicorn's own TLB (UC_TLB_CPU), guest RAM mapped directly at its guest-physical
 *                address, no fill hook, the Machine's counted slices (uc_emu_start with a count)
 *   rawFree      the same engine in one uc_emu_start with no count: the fastest the engine goes;
 *                it cannot tell how many instructions ran, so the caller passes the count the
 *                Machine measured on the same deterministic guest
 *
 * The loop guests' console I/O is answered with minimal hooks (16550 LSR "empty", PL011 flags "not
 * full", the final hlt / hvc stops) so the raw runs execute the same instructions as the Machine.
 * Times are this process's CPU time, or wall-clock time when the benchmark was run with --wall.
 * machineFigure times the Machine on the same guest, so every benchmark measures both sides alike.
 * rawBareFills adds the one thing the Machine's fill path has on top of the engine: a fill hook,
 * one that does nothing but map the page to itself.
 */
import { PAGE_SIZE } from '../../mmu/addr.js';
import { LAYOUT } from '../../emulator/arch.js';
import type { GuestImage } from '../../emulator/image.js';
import { DEFAULT_SLICE_INSNS, Machine, type MachineOptions } from '../../emulator/machine.js';
import { UC_PROT_ALL, UC_TLB_VIRTUAL } from '../../emulator/unicorn/constants.js';
import { PC_REG } from '../../emulator/unicorn/registers.js';
import { Unicorn } from '../../emulator/unicorn/unicorn.js';
import type { CounterKind } from '../../emulator/unicorn/block-shim.js';

export interface Figure {
  readonly ms: number;
  readonly insns: number;
}

export const WALL = process.argv.includes('--wall');

/** Milliseconds: process CPU time (user + system), or wall-clock time with --wall. */
export function now(): number {
  if (WALL) return performance.now();
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * Where the bare fill hook puts each guest page: `frame[i]` is the host frame of guest RAM's page
 * i (counted from the RAM base) in host RAM of `hostBytes`, the frames a Machine's scattered
 * layout gave the same guest; without it every page maps to itself.
 */
export interface BareFrames {
  readonly frame: Uint32Array;
  readonly hostBytes: number;
}

/* Host RAM for a raw engine, the image's bytes in their frames (4 KiB pages, as frames are). */
function rawRam(img: GuestImage, memBytes: number, frames?: BareFrames): ArrayBuffer {
  const base = LAYOUT[img.arch].ramBase;
  const ram = new ArrayBuffer(frames?.hostBytes ?? memBytes);
  const u8 = new Uint8Array(ram);
  for (const s of img.segments) {
    if (frames === undefined) {
      u8.set(s.data, s.gpa - base);
      continue;
    }
    for (let at = 0; at < s.data.length;) {
      const rel = s.gpa - base + at;
      const n = Math.min(PAGE_SIZE - (rel % PAGE_SIZE), s.data.length - at);
      u8.set(
        s.data.subarray(at, at + n),
        frames.frame[Math.floor(rel / PAGE_SIZE)] * PAGE_SIZE + (rel % PAGE_SIZE),
      );
      at += n;
    }
  }
  return ram;
}

/*
 * A raw engine: guest RAM at its guest-physical address, tiny device hooks, and the engine's own
 * TLB, or (`onFill`) virtual-TLB mode with a fill hook that maps every page to itself (or to its
 * frame in `frames`: one typed-array load) and does nothing else: the bare cost of one koffi
 * TLB-fill callback through the binding's trampoline.
 */
function rawEngine(
  img: GuestImage,
  memBytes: number,
  onFill?: () => void,
  counter: CounterKind = 'hook',
  frames?: BareFrames,
): { uc: Unicorn; stopped: () => boolean } {
  const base = LAYOUT[img.arch].ramBase;
  const ram = rawRam(img, memBytes, frames);
  const uc = Unicorn.open(img.arch, undefined, { counter }); // Unicorn's count unless asked, whatever NESTVM_COUNTER says
  if (onFill !== undefined) {
    const frame = frames?.frame;
    uc.setTlbMode(UC_TLB_VIRTUAL);
    uc.hookTlbFill((va, _type, entry) => {
      onFill();
      const rel = va - base;
      entry.paddr =
        frame === undefined || rel < 0 || rel >= memBytes
          ? va
          : base + frame[rel >>> 12] * PAGE_SIZE + (va & 0xfff);
      entry.perms = UC_PROT_ALL;
      return true;
    });
  }
  uc.mapPtr(base, ram, UC_PROT_ALL);
  let stopped = false;
  const stop = () => {
    stopped = true;
    uc.emuStop();
  };
  if (img.arch === 'x86_64') {
    uc.hookIn(() => 0x60); // 16550 LSR: transmitter empty
    uc.hookOut(() => {});
  } else {
    uc.mmioMap(
      0x0900_0000,
      0x1000,
      (off) => (off === 0x18 ? 0x90 : 0), // PL011 flags: never full
      () => {},
    );
  }
  uc.hookIntr(stop); // the PSCI hvc at the end (arm64); any exception (x86)
  uc.regWrite(img.arch === 'x86_64' ? 'rsp' : 'sp', base + memBytes);
  uc.regWrite(PC_REG[img.arch], img.entry);
  return { uc, stopped: () => stopped };
}

/** The raw engine in counted slices; `counter` 'block': the block counter's own cost, without the Machine's. */
export function rawCounted(img: GuestImage, memBytes: number, counter: CounterKind = 'hook'): Figure {
  const { uc, stopped } = rawEngine(img, memBytes, undefined, counter);
  let insns = 0;
  const t0 = now();
  for (;;) {
    const err = uc.emuStart(uc.regRead(PC_REG[img.arch]), 0, 0, DEFAULT_SLICE_INSNS);
    insns += uc.instructionsLastRun();
    if (err !== 0 || stopped() || !uc.budgetExhaustedLastRun()) break;
  }
  const ms = now() - t0;
  uc.close();
  return { ms, insns };
}

export function rawFree(img: GuestImage, memBytes: number, insns: number): Figure {
  const { uc } = rawEngine(img, memBytes);
  const t0 = now();
  uc.emuStart(img.entry, 0, 0, 0);
  const ms = now() - t0;
  uc.close();
  return { ms, insns };
}

/**
 * The bare fill hook on a whole run of `img`, in the Machine's counted slices and with its
 * instruction counter (`counter`), and (`frames`) in the host frames a Machine gave the guest, so
 * the engine does the same work on the same host pages as under a Machine: fills
 * taken, instructions begun, and the time they took with the guest's own work.
 */
export function rawBareFills(
  img: GuestImage,
  memBytes: number,
  counter: CounterKind = 'hook',
  frames?: BareFrames,
): Figure & { fills: number } {
  let fills = 0;
  const { uc, stopped } = rawEngine(img, memBytes, () => fills++, counter, frames);
  let insns = 0;
  const t0 = now();
  for (;;) {
    const err = uc.emuStart(uc.regRead(PC_REG[img.arch]), 0, 0, DEFAULT_SLICE_INSNS);
    insns += uc.instructionsLastRun();
    if (err !== 0 || stopped() || !uc.budgetExhaustedLastRun()) break;
  }
  const ms = now() - t0;
  uc.close();
  return { ms, insns, fills };
}

/** One timed Machine run of a guest that must end with status 0. */
export function machineFigure(img: GuestImage, opts: MachineOptions): Figure {
  const m = new Machine(img, opts);
  const t0 = now();
  const stop = m.run();
  const ms = now() - t0;
  if (stop.code !== 0) throw new Error(`guest stopped badly: ${stop.message}`);
  const insns = m.instructions;
  m.close();
  return { ms, insns };
}

/** The less disturbed of two runs (on a shared host the fastest run is the cleanest). */
export const faster = (a: Figure | null, b: Figure): Figure => (a === null || b.ms < a.ms ? b : a);
