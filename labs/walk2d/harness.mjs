// Lab walk2d's harness: runs in the graded child before each call and turns the plain data the
// grader sent (labs/walk2d/layout.ts's LayoutData and a query) into what the student's walk2d()
// takes: frozen, read-only accessors. It decodes nested entries with nestvm's own formats (the
// library API; the child resolves 'nestvm' to the grader's own build), so the student needs no
// decoder of their own.
import { FORMATS } from 'nestvm';

const PAGE = 4096;

function hostMemory(pages) {
  return Object.freeze({
    /** The 64-bit little-endian word at host-physical `hpa` (8-byte aligned), as a BigInt. */
    read64(hpa) {
      if (!Number.isSafeInteger(hpa) || hpa < 0 || hpa % 8 !== 0)
        throw new Error(`read64: ${hpa} is not an 8-byte aligned host-physical address`);
      const page = pages.get(hpa - (hpa % PAGE));
      if (page === undefined) return 0n;
      return new DataView(page.buffer, page.byteOffset, PAGE).getBigUint64(hpa % PAGE, true);
    },
  });
}

function nestedFormat(name, rootFrame) {
  const f = FORMATS[name];
  return Object.freeze({
    name,
    rootFrame,
    /** A nested entry's meaning: { present, frame, rights: { r, w, x } } (leaf rights). */
    decode(value) {
      const v = BigInt.asUintN(64, BigInt(value));
      const lo = Number(v & 0xffffffffn);
      const hi = Number(v >> 32n);
      if (!f.isPresent(lo, hi)) return Object.freeze({ present: false });
      const p = f.protOf(lo, hi);
      const rights = Object.freeze({ r: (p & 1) !== 0, w: (p & 2) !== 0, x: (p & 4) !== 0 });
      return Object.freeze({ present: true, frame: f.frameOf(lo, hi), rights });
    },
  });
}

export function prepare(layout, query) {
  const machine = Object.freeze({
    mem: hostMemory(layout.pages),
    nested: nestedFormat(layout.format, layout.rootFrame),
    guest: Object.freeze({ ...layout.guest }),
  });
  return [machine, Object.freeze({ ...query })];
}
