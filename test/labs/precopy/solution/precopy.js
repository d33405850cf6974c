// Lab `precopy`: the reference solution (never shipped; `lab start` does not write it).
import { LAYOUT, readGuestPage } from 'nestvm';

const PAGE = 4096;

/** The page indexes set in a harvest bitmap (page i is bit i & 7 of byte i >> 3), ascending. */
function pagesOf(bitmap) {
  const out = [];
  for (let i = 0; i < bitmap.length; i++)
    for (let bit = 0; bit < 8; bit++) if (bitmap[i] & (1 << bit)) out.push(i * 8 + bit);
  return out;
}

/** Read page `page` of the source's RAM into `buf`; 'frame', 'swap' or 'zero' (never written). */
const readPage = (src, page, buf) => readGuestPage(src.vm, LAYOUT[src.arch].ramBase + page * PAGE, buf);

/** Round 0's queue: every page that has content. */
function populated(src, buf) {
  const out = [];
  for (let page = 0; page < src.memBytes / PAGE; page++)
    if (readPage(src, page, buf) !== 'zero') out.push(page);
  return out;
}

/** Send `queue`, `bandwidth` pages per slice of the running source; a StopReason if the guest ended. */
function sendRound(src, link, queue, opts, buf) {
  let next = 0;
  for (;;) {
    for (const upTo = Math.min(queue.length, next + opts.bandwidth); next < upTo; next++) {
      readPage(src, queue[next], buf);
      link.send(queue[next], buf);
    }
    const stop = src.runSlice(opts.sliceInsns);
    if (stop !== null) return stop;
    if (next === queue.length) return null;
  }
}

export function precopy(src, link, opts) {
  const buf = new Uint8Array(PAGE);
  src.harvestDirty(); // what the guest wrote before the migration began is in round 0 anyway
  let queue = populated(src, buf);
  const rounds = [];
  let converged = false;
  for (let round = 0; round < opts.maxRounds; round++) {
    const stop = sendRound(src, link, queue, opts, buf);
    if (stop !== null) return { rounds, converged, stop };
    const dirty = pagesOf(src.harvestDirty().bitmap);
    rounds.push({ sent: queue.length, dirtied: dirty.length });
    queue = dirty;
    if (dirty.length < opts.downtimePages) {
      converged = true;
      break;
    }
  }
  link.stopSource();
  for (const page of queue) {
    readPage(src, page, buf);
    link.send(page, buf);
  }
  link.handOver(src.guestState());
  return { rounds, converged };
}
