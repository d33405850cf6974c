/*
 * A guest image: what every loader (ELF64, raw, assembly source) produces and what the Machine
 * consumes. Segments are placed at guest-physical addresses; bytes past `data.length` up to
 * `memSize` are zero (BSS). Symbols are kept for display (disassembly, walk output, TUI).
 */
import type { Arch } from './arch.js';

export interface Segment {
  readonly gpa: number;
  readonly data: Uint8Array;
  readonly memSize: number;
  /** 'r', 'rw', 'rx', 'rwx': from ELF p_flags, or 'rwx' for raw and assembly images. */
  readonly flags: string;
}

export interface GuestSymbol {
  readonly name: string;
  readonly addr: number;
  readonly size: number;
}

export interface GuestImage {
  readonly arch: Arch;
  readonly entry: number;
  readonly segments: readonly Segment[];
  readonly symbols: readonly GuestSymbol[];
  /** Where it came from, for messages: a path or '<inline>'. */
  readonly origin: string;
  readonly kind: 'elf' | 'raw' | 'asm';
}

/** A loader's complaint about its input: a value, turned into exit status 2 by the CLI. */
export class BadGuestError extends Error {
  override name = 'BadGuestError';
}
