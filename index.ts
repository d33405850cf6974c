/*
 * The nestvm library API: what labs and scripts import (`import { ... } from 'nestvm'`).
 */
export * from './mmu/addr.js';
export * from './mmu/prot.js';
export * from './mmu/events.js';
export * from './mmu/checks.js';
