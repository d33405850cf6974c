/*
 * Device models and what they may ask of the machine.
 *
 * A device is a passive state machine: the vCPU's port and MMIO hooks call read/write, and the
 * device answers through its DeviceHost: text for the console, a stop request (exit, fault), and
 * reads of guest memory. A guest memory read goes through the Machine's one host-side access
 * (DeviceHost.readGuest), never straight into host RAM: with the nested layer that is
 * HeldGuestMemory, which translates a guest-virtual address with a dry walk of the guest's tables
 * and holds each page on the "devices" client for the copy; without it, GuestMemory and the
 * injected translator. A device cannot tell which one it has.
 *
 * A DMA engine sees guest-physical addresses, not the guest's virtual ones: it asks the host for
 * page holds (DeviceHost.holdGuest, the devices' VmClient.hold) and copies through the held
 * frames itself. holdGuest is absent when the machine has no nested paging layer (a test's
 * injected translator): such a device must then report an error to the guest, not throw.
 *
 * Unknown accesses are not faults: a read of a register a device does not model returns 0 (MMIO)
 * or all ones (a port nobody decodes, as on a PC bus), and a write to one is ignored. Only an
 * access to a guest-physical page with nothing behind it stops the guest (a 'nomap' fault).
 */
import type { Gpa } from '../../mmu/addr.js';
import type { Prot } from '../../mmu/prot.js';
import type { PageHold } from '../../mmu/vm/page-hold.js';
import type { HoldFailure, HoldOptions } from '../../mmu/vm/vm-client.js';
import type { StopReason } from '../stop-reason.js';
import type { TranslationFault } from '../translator.js';

export interface DeviceHost {
  /** Append guest console output. */
  console(text: string): void;
  /** Stop the guest at the current instruction boundary (the machine adds the pc). */
  stop(stop: Omit<StopReason, 'pc'>): void;
  /** Read guest memory at a guest address (as the guest would, with its translation). */
  readGuest(va: number, length: number): Uint8Array | TranslationFault;
  /**
   * Hold the guest-physical page holding `gpa` (no guest translation) through the devices'
   * VmClient; the caller releases it (or its chain). Absent without a nested paging layer.
   */
  holdGuest?(gpa: Gpa, prot: Prot, opts?: HoldOptions): PageHold | HoldFailure;
}

/** An x86 I/O-port device. Values are masked to `size` bytes by the caller. */
export interface PortDevice {
  readonly name: string;
  readonly ports: readonly number[];
  read(port: number, size: number): number;
  write(port: number, size: number, value: number): void;
}

/** A memory-mapped device occupying [gpa, gpa + size) of guest-physical space (page-aligned). */
export interface MmioDevice {
  readonly name: string;
  readonly gpa: number;
  readonly size: number;
  read(offset: number, size: number): number;
  write(offset: number, size: number, value: number): void;
}

/**
 * A device whose registers outlive one access, as a snapshot keeps them
 * (emulator/snapshot/guest-state.ts): its state as unsigned 32-bit words, and the same words
 * back. A device without one (debugcon, isa-debug-exit, PL011, PSCI, semihosting) holds nothing
 * between accesses.
 */
export interface SavedDevice {
  readonly name: string;
  saveState(): number[];
  /** Take the words saveState gave; false (nothing changed) when they cannot be this device's. */
  loadState(words: readonly number[]): boolean;
}

/** All ones for an access of `size` bytes: what a read of an undecoded port returns. */
export const allOnes = (size: number): number => (size >= 4 ? 0xffff_ffff : (1 << (size * 8)) - 1);
