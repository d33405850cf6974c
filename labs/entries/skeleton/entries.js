// Lab `entries`: nested page-table entries, encoded and decoded by hand.
//
// Read README.md first. Every 64-bit entry or root pointer is a BigInt (write constants as
// 0x7n, shift with <<, mask with &). A frame number is a plain Number: the address of the
// frame divided by 4096 (it is below 2^40, so a Number holds it exactly; convert with
// BigInt(frame) and Number(value)). `format` is 'ept' (Intel), 'npt' (AMD) or 's2' (Arm).
// Rights are { r, w, x } booleans; a memory type is 'wb' (write-back RAM) or 'uc' (device).
//
// Grade with:  nestvm lab grade entries .

/**
 * A 4 KiB leaf entry mapping `frame` with `rights` and `memType`, Accessed and Dirty clear.
 * @param {'ept' | 'npt' | 's2'} format
 * @param {number} frame
 * @param {{ r: boolean, w: boolean, x: boolean }} rights  at least one is true
 * @param {'wb' | 'uc'} memType
 * @returns {bigint}
 */
export function encodeLeaf(format, frame, rights, memType) {
  // TODO: one case per format; see "Task 1" in README.md.
  throw new Error('TODO: encodeLeaf is not written yet');
}

/**
 * A table pointer: a non-leaf entry naming the next table, in frame `frame`.
 * @param {'ept' | 'npt' | 's2'} format
 * @param {number} frame
 * @returns {bigint}
 */
export function encodeTable(format, frame) {
  // TODO: see "Task 2" in README.md.
  throw new Error('TODO: encodeTable is not written yet');
}

/**
 * The root pointer register value for tables rooted at frame `rootFrame`: EPTP, nCR3 or VTTBR_EL2.
 * @param {'ept' | 'npt' | 's2'} format
 * @param {number} rootFrame
 * @param {{ adEnabled: boolean, vmid: number }} opts  adEnabled: EPT only; vmid: stage-2 only
 * @returns {bigint}
 */
export function rootPointer(format, rootFrame, opts) {
  // TODO: see "Task 3" in README.md.
  throw new Error('TODO: rootPointer is not written yet');
}

/**
 * Read a leaf entry back. When it is not present, only `present: false` matters.
 * @param {'ept' | 'npt' | 's2'} format
 * @param {bigint} entry
 * @returns {{ present: boolean, frame: number, rights: { r: boolean, w: boolean, x: boolean },
 *             memType: 'wb' | 'uc', accessed: boolean, dirty: boolean }}
 */
export function decodeLeaf(format, entry) {
  // TODO: see "Task 4" in README.md.
  throw new Error('TODO: decodeLeaf is not written yet');
}

/**
 * Read a table pointer back.
 * @param {'ept' | 'npt' | 's2'} format
 * @param {bigint} entry
 * @returns {{ present: boolean, frame: number }}
 */
export function decodeTable(format, entry) {
  // TODO: see "Task 4" in README.md.
  throw new Error('TODO: decodeTable is not written yet');
}
