// Reference solution of lab `entries` (kept in test/ only: `lab start` never copies it).
const bit = (n) => 1n << BigInt(n);
const field = (v, hi, lo) => (v >> BigInt(lo)) & ((1n << BigInt(hi - lo + 1)) - 1n);
const has = (v, n) => (v & bit(n)) !== 0n;
const frameMask = (format) => (format === 's2' ? (1n << 36n) - 1n : (1n << 40n) - 1n);
const frameBits = (format, frame) => (BigInt(frame) & frameMask(format)) << 12n;
const frameOf = (format, v) => Number((v >> 12n) & frameMask(format));

export function encodeLeaf(format, frame, rights, memType) {
  const addr = frameBits(format, frame);
  if (format === 'ept') {
    const r = rights.r || rights.w ? bit(0) : 0n;
    const w = rights.w ? bit(1) : 0n;
    const x = rights.x ? bit(2) : 0n;
    const mt = memType === 'wb' ? 6n << 3n : 0n;
    return addr | bit(6) | mt | x | w | r;
  }
  if (format === 'npt') {
    const nx = rights.x ? 0n : bit(63);
    const cache = memType === 'wb' ? 0n : bit(4) | bit(3);
    return nx | addr | cache | bit(2) | (rights.w ? bit(1) : 0n) | bit(0);
  }
  const xn = rights.x ? 0n : 2n << 53n;
  const dbm = rights.w ? bit(51) : 0n;
  const attr = (memType === 'wb' ? 0b1111n : 0b0001n) << 2n;
  return xn | dbm | addr | (3n << 8n) | bit(6) | attr | 3n;
}

export function encodeTable(format, frame) {
  const addr = frameBits(format, frame);
  if (format === 'ept') return addr | 7n;
  if (format === 'npt') return addr | 7n;
  return addr | 3n;
}

export function rootPointer(format, rootFrame, opts) {
  const addr = frameBits(format, rootFrame);
  if (format === 'ept') return addr | (opts.adEnabled ? bit(6) : 0n) | (3n << 3n) | 6n;
  if (format === 'npt') return addr;
  return (BigInt(opts.vmid & 0xffff) << 48n) | addr;
}

function present(format, v) {
  if (format === 'ept') return (v & 7n) !== 0n;
  if (format === 'npt') return has(v, 0);
  return (v & 3n) === 3n;
}

export function decodeLeaf(format, entry) {
  const v = BigInt.asUintN(64, entry);
  if (!present(format, v)) return { present: false };
  const frame = frameOf(format, v);
  if (format === 'ept') {
    const rights = { r: has(v, 0), w: has(v, 1), x: has(v, 2) };
    const memType = field(v, 5, 3) === 6n ? 'wb' : 'uc';
    return { present: true, frame, rights, memType, accessed: has(v, 8), dirty: has(v, 9) };
  }
  if (format === 'npt') {
    const rights = { r: true, w: has(v, 1), x: !has(v, 63) };
    const memType = has(v, 3) || has(v, 4) ? 'uc' : 'wb';
    return { present: true, frame, rights, memType, accessed: has(v, 5), dirty: has(v, 6) };
  }
  const rights = { r: has(v, 6), w: has(v, 7) || has(v, 51), x: field(v, 54, 53) === 0n };
  const memType = field(v, 5, 2) === 0b1111n ? 'wb' : 'uc';
  return { present: true, frame, rights, memType, accessed: has(v, 10), dirty: has(v, 7) };
}

export function decodeTable(format, entry) {
  const v = BigInt.asUintN(64, entry);
  if (!present(format, v)) return { present: false };
  return { present: true, frame: frameOf(format, v) };
}
