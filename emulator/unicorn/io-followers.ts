/*
 * I/O followers: the addresses on an x86-64 code page where an instruction may begin right after
 * a port instruction, found without decoding.
 *
 * Why. A device that stops the guest from inside a port access (isa-debug-exit) only raises the
 * engine's exit request. Translated code tests it at a block's start, after each memory access and
 * after each code hook, so a block translated without a code hook runs on past the port
 * instruction (block-count.ts). The block counter therefore lists a code hook over every address
 * that may follow a port instruction; the hook is compiled into the blocks that hold such an
 * address, before the instruction there, and stops the run exactly after the port access.
 *
 * How. Every x86 port instruction ends with its opcode byte, or with the opcode and one immediate:
 *
 *    opcode       instruction              the next instruction begins at
 *    E4..E7 ib    in/out al|eax, imm8      opcode + 2
 *    EC..EF       in/out al|eax, dx        opcode + 1
 *    6C..6F       ins/outs (rep or not)    opcode + 1
 *
 * Prefixes (66, REX, F3) come before the opcode and do not move its end. So every byte of the page
 * holding one of those values gives one follower address: a real port instruction's follower is
 * always among them, and a byte that is only data or part of another instruction gives an address
 * where, at worst, an instruction pays for a hook that never stops it. Invariant: the ranges are
 * sorted, disjoint and not adjacent, and cover exactly the follower addresses.
 */

/** Inclusive address ranges [begin, end]. */
export type Range = readonly [number, number];

/** The follower offsets of `bytes` (relative to their first byte), ascending. */
export function followerOffsets(bytes: Uint8Array): number[] {
  const out = new Set<number>();
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b >= 0xe4 && b <= 0xe7) out.add(i + 2);
    else if ((b >= 0xec && b <= 0xef) || (b >= 0x6c && b <= 0x6f)) out.add(i + 1);
  }
  return [...out].sort((a, b) => a - b);
}

/** The follower addresses of the code at `va`, as merged ranges, leaving out those in `known`. */
export function followerRanges(va: number, bytes: Uint8Array, known: ReadonlySet<number>): Range[] {
  const ranges: [number, number][] = [];
  for (const off of followerOffsets(bytes)) {
    const at = va + off;
    if (known.has(at)) continue;
    const last = ranges[ranges.length - 1];
    if (last !== undefined && last[1] + 1 === at) last[1] = at;
    else ranges.push([at, at]);
  }
  return ranges;
}
