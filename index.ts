/*
 * The nestvm library API: what labs and scripts import (`import { ... } from 'nestvm'`).
 */
export * from './mmu/addr.js';
export * from './mmu/prot.js';
export * from './mmu/events.js';
export * from './mmu/checks.js';
export * from './mmu/seeded-random.js';
export * from './mmu/host/host-memory.js';
export * from './mmu/host/frame-allocator.js';
export * from './mmu/host/reservoir.js';
export * from './mmu/host/table-owner.js';
export * from './mmu/host/page-attributes.js';
export * from './mmu/host/pv-pool.js';
export * from './mmu/host/pv-head.js';
export * from './mmu/host/table-descriptors.js';
export * from './mmu/host/installed-entries.js';
export * from './mmu/host/ledger.js';
export * from './mmu/host/pmap.js';
export * from './mmu/host/table-pool.js';
export * from './mmu/host/pinned-since-retire.js';
export { POLICY_NAMES } from './mmu/host/replacement-policy.js';
export type {
  PolicyName,
  ReclaimAnswer,
  ReclaimCandidate,
  ReclaimHook,
} from './mmu/host/replacement-policy.js';
export type { ReclaimCounters, WriteBackOverrides } from './mmu/vm/reclaim.js';
export * from './mmu/gpt/entry-format.js';
export { ept } from './mmu/gpt/ept.js';
export { npt } from './mmu/gpt/npt.js';
export { stage2 } from './mmu/gpt/stage2.js';
export * from './mmu/gpt/formats.js';
export * from './mmu/gpt/gpt-geometry.js';
export { GptNode, NO_FRAME } from './mmu/gpt/gpt-node.js';
export type { PopulateResult } from './mmu/gpt/gpt-tables.js';
export { GptIter } from './mmu/gpt/gpt-iter.js';
export { NO_ENTRY, TX_RIGHTS, txMissLevel, newWalkPath } from './mmu/gpt/gpt-walk.js';
export type { WalkPath, WalkStep } from './mmu/gpt/gpt-walk.js';
export { Gpt } from './mmu/gpt/gpt.js';
export type { MapStatus, LeafInfo } from './mmu/gpt/gpt.js';
export * from './mmu/vm/vm-object.js';
export * from './mmu/vm/vm-mapping.js';
export * from './mmu/vm/vm-results.js';
export * from './mmu/vm/vm-counters.js';
export * from './mmu/vm/vmspace.js';
export * from './mmu/vm/vm-client.js';
export * from './mmu/vm/page-hold.js';
export * from './mmu/vm/frame-shares.js';
export * from './mmu/vm/merge-scan.js';
export * from './mmu/vm/page-merger.js';
export * from './mmu/vm/merge-kit.js';
export * from './mmu/guest-walk/index.js';
// The emulator: a Machine wires one guest, its vCPU, devices and the nested paging layer together.
export { Machine, describeFault, fixedOffsetTranslator } from './emulator/machine.js';
export type { MachineOptions, StopReason, TranslatorContext } from './emulator/machine.js';
export {
  GuestStateError,
  VCPU_STATE,
  type GuestState,
  type SavedRegister,
  type SavedDeviceState,
} from './emulator/snapshot/guest-state.js';
export { readGuestPage, writeGuestPage, isZeroPage, type PageHome } from './emulator/snapshot/guest-pages.js';
export {
  SnapshotError,
  dirtySince,
  mergeDiff,
  ramDigest,
  takeDiffSnapshot,
  type Snapshot,
} from './emulator/snapshot/snapshot.js';
export {
  SNAPSHOT_VERSION,
  SnapshotFileError,
  decodeSnapshot,
  encodeSnapshot,
  type SnapshotFile,
} from './emulator/snapshot/snapshot-file.js';
// Live migration (`nestvm migrate`): the pre-copy engine, and a page's hash as its RAM check takes it.
export { Migration, type MigrationSetup, type MigrationResult } from './emulator/migration/migration.js';
export type { PrecopyEnd, PrecopyOptions, RoundRecord } from './emulator/migration/precopy.js';
export { pageHash } from './emulator/migration/ram-pages.js';
export {
  NestedVm,
  HostMemoryError,
  DEFAULT_FORMAT,
  RAM_REGION,
  minGuestFrames,
  tableRoomFor,
} from './emulator/nested-vm.js';
export {
  FAULT_STORM_LIMIT,
  hostMinimum,
  instructionFootprint,
  type Footprint,
  type HostMinimum,
} from './emulator/instruction-footprint.js';
export type { HostFrames } from './emulator/nested-vm.js';
// Several Machines on one host, round-robin, with same-page merging between their slices.
export { NestedHost, sharedHost } from './emulator/nested-host.js';
export { HostRun, DEFAULT_MERGE_INTERVAL, DEFAULT_MERGE_PAGES } from './emulator/host-run.js';
export type { MergeOptions, MergeStats, FrameMapper } from './emulator/host-run.js';
export { NestedMmu } from './emulator/nested-mmu.js';
export type { MmuCounters } from './emulator/nested-mmu.js';
export { collectStats } from './emulator/run-stats.js';
export type { RunStats } from './emulator/run-stats.js';
export type { MachineEvent, EmulatorEvent } from './emulator/events.js';
export { loadGuest, loadGuestBytes, listSamples } from './emulator/loaders/index.js';
export type { GuestSample } from './emulator/loaders/index.js';
export { assemble, disassemble, AsmError } from './emulator/asm/index.js';
export { BadGuestError } from './emulator/image.js';
export type { GuestImage, Segment, GuestSymbol } from './emulator/image.js';
export { ARCHES, LAYOUT, DEFAULT_GUEST_MEM } from './emulator/arch.js';
export type { Arch } from './emulator/arch.js';
export { PACKAGE_ROOT, packagePath } from './emulator/package-root.js';
