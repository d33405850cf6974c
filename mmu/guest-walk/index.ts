/*
 * mmu/guest-walk: software walkers for the guest's own page tables (x86-64 4-level paging and
 * arm64 stage-1 with a 4 KiB granule) and the two-dimensional walk (DESIGN §1, §2).
 *
 *   guest-phys.ts        GuestPhysAccess / NestedMiss / NestedWalker: how walkers reach guest memory
 *   walk-result.ts       WalkResult (ok | guest-fault | nested-miss), WalkOptions, decoded-entry shape
 *   x86-entry.ts         x86-64 entry bits and decodeX86Entry
 *   x86-walk.ts          walkX86 and the CR0/CR3/CR4/EFER configuration
 *   arm64-descriptor.ts  stage-1 descriptor bits and decodeArm64Descriptor
 *   arm64-walk.ts        walkArm64 and the TTBR/TCR/SCTLR configuration
 *   guest-paging.ts      walkGuest: one entry point for either architecture (or paging off)
 *   two-dim-walk.ts      walkTwoDimensional: all 24 references of a 4x4-level translation
 *   gpt-nested.ts        gptNestedWalker: the real GPT (mmu/gpt) as a side-effect-free NestedWalker
 *   guest-map.ts         guestRanges: every mapping of the guest's tables, merged into ranges
 */
export * from './guest-phys.js';
export * from './walk-result.js';
export * from './x86-entry.js';
export * from './x86-walk.js';
export * from './arm64-descriptor.js';
export * from './arm64-walk.js';
export * from './guest-paging.js';
export * from './two-dim-walk.js';
export * from './gpt-nested.js';
export * from './guest-map.js';
