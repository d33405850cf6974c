// Reference solution of lab `walk2d` (kept in test/ only: `lab start` never copies it).
const PAGE = 4096;
const spanOf = (level) => 2 ** (12 + 9 * (level - 1));
const indexOf = (addr, level) => Math.floor(addr / spanOf(level)) % 512;
const ADDR = 0x000f_ffff_ffff_f000n;

function allowed(rights, access) {
  if (access === 'read') return rights.r;
  if (access === 'write') return rights.w;
  return rights.x;
}

// One nested walk, its references appended to refs: { hpa } or { fault }.
function nestedWalk(m, gpa, access, refs) {
  let table = m.nested.rootFrame * PAGE;
  for (let level = 4; level >= 1; level--) {
    const hpa = table + indexOf(gpa, level) * 8;
    const value = m.mem.read64(hpa);
    refs.push({ dim: 'nested', level, hpa, value });
    const e = m.nested.decode(value);
    if (!e.present) return { fault: { level, reason: 'not-present' } };
    if (level > 1) {
      table = e.frame * PAGE;
      continue;
    }
    if (!allowed(e.rights, access)) return { fault: { level, reason: 'rights' } };
    return { hpa: e.frame * PAGE + (gpa % PAGE) };
  }
}

function guestAllows(q, guest, r) {
  if (q.user && !r.us) return false;
  if (q.access === 'write') return r.rw || (!q.user && !guest.wp);
  if (q.access === 'exec') return !r.xd;
  return true;
}

export function walk2d(m, q) {
  const refs = [];
  const r = { rw: true, us: true, xd: false };
  let table = m.guest.cr3 - (m.guest.cr3 % PAGE);
  for (let level = 4; level >= 1; level--) {
    const entry = table + indexOf(q.gva, level) * 8;
    const n = nestedWalk(m, entry, 'read', refs);
    if (n.fault) return { refs, result: { kind: 'nested-fault', gpa: entry, ...n.fault } };
    const value = m.mem.read64(n.hpa);
    refs.push({ dim: 'guest', level, hpa: n.hpa, value });
    if ((value & 1n) === 0n) return { refs, result: { kind: 'guest-fault', level, reason: 'not-present' } };
    r.rw &&= (value & 2n) !== 0n;
    r.us &&= (value & 4n) !== 0n;
    if (m.guest.nxe) r.xd ||= value >> 63n === 1n;
    const addr = Number(value & ADDR);
    const leaf = level === 1 || ((level === 2 || level === 3) && (value & 0x80n) !== 0n);
    if (!leaf) {
      table = addr;
      continue;
    }
    if (!guestAllows(q, m.guest, r))
      return { refs, result: { kind: 'guest-fault', level, reason: 'protection' } };
    const size = spanOf(level);
    const gpa = addr - (addr % size) + (q.gva % size);
    const f = nestedWalk(m, gpa, q.access, refs);
    if (f.fault) return { refs, result: { kind: 'nested-fault', gpa, ...f.fault } };
    return { refs, result: { kind: 'ok', gpa, hpa: f.hpa } };
  }
}
