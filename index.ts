/*
 * The nestvm library API: what labs and scripts import (`import { ... } from 'nestvm'`).
 */
export * from './mmu/addr.js';
export * from './mmu/prot.js';
export * from './mmu/events.js';
export * from './mmu/checks.js';
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
