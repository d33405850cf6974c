// Lab `walk2d`: the two-dimensional walk, reference by reference.
//
// Read README.md first. walk2d(machine, query) translates query.gva for an access of kind
// query.access ('read', 'write' or 'exec') at user (query.user) or supervisor privilege, as the
// hardware does with nested paging on, and returns every entry it read, in order, and the result.
//
//   machine.mem.read64(hpa)          the 64-bit word at a host-physical address, as a BigInt
//   machine.nested.rootFrame         the host frame of the nested root table (level 4)
//   machine.nested.decode(value)     a nested entry: { present, frame, rights: { r, w, x } }
//   machine.guest                    { cr3, wp, nxe }: the guest's CR3, CR0.WP and EFER.NXE
//
// Return { refs, result }:
//   refs    [{ dim: 'nested' | 'guest', level, hpa, value }], one per entry read, in order
//   result  { kind: 'ok', gpa, hpa }
//         | { kind: 'guest-fault', level, reason: 'not-present' | 'protection' }
//         | { kind: 'nested-fault', gpa, level, reason: 'not-present' | 'rights' }
//
// Grade with:  nestvm lab grade walk2d .

/**
 * @param {{ mem: { read64(hpa: number): bigint },
 *           nested: { rootFrame: number, decode(value: bigint): { present: boolean, frame?: number,
 *                     rights?: { r: boolean, w: boolean, x: boolean } } },
 *           guest: { cr3: number, wp: boolean, nxe: boolean } }} machine
 * @param {{ gva: number, access: 'read' | 'write' | 'exec', user: boolean }} query
 */
export function walk2d(machine, query) {
  // TODO: the nested walk of one guest-physical address first (Task 1), then the guest walk
  // (Task 2). See README.md.
  throw new Error('TODO: walk2d is not written yet');
}
