/*
 * Protection and memory type, format-neutral.
 *
 * Prot is a 3-bit set (R=1, W=2, X=4) as the vmspace and the GPT speak it; each entry format maps
 * it onto its own bits (DESIGN §4). Write without read is not a state any of our formats can
 * express for a present leaf, so the formats treat W as implying R.
 */

export const PROT_NONE = 0;
export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const PROT_EXEC = 4;
export const PROT_RW = PROT_READ | PROT_WRITE;
export const PROT_RX = PROT_READ | PROT_EXEC;
export const PROT_ALL = PROT_READ | PROT_WRITE | PROT_EXEC;
export type Prot = number;

/** The kind of access that caused a fill or a fault. */
export type AccessKind = 'read' | 'write' | 'exec';
export const accessProt = (k: AccessKind): Prot =>
  k === 'read' ? PROT_READ : k === 'write' ? PROT_WRITE : PROT_EXEC;

/** Memory type of a leaf: write-back RAM or uncached (device) memory. */
export type MemType = 'wb' | 'uc';

export const protString = (p: Prot): string =>
  (p & PROT_READ ? 'r' : '-') + (p & PROT_WRITE ? 'w' : '-') + (p & PROT_EXEC ? 'x' : '-');
