// Lab precopy's harness: runs in the graded child and makes each call of the student's
// precopy(src, link, opts) itself (the framework's `run(fn, ...args)` shape).
//
// For one case (labs/precopy/cases.ts) it builds the two hosts' Machines from the image the
// grader sent: the source from the image, the destination from the image without its segments
// (its RAM holds only what the link brings). The source runs `startAfter` instructions; then the
// student's loop gets the source Machine and a Link, the only way to the destination:
//
//   link.send(page, bytes)   page `page` of guest RAM (gpa = ramBase + page * 4096) takes `bytes`
//                            on the destination. While the source runs, the link carries
//                            `bandwidth` pages per slice of guest time: at most
//                            bandwidth * (1 + slices the source ran since the loop began)
//   link.stopSource()        the source is stopped from now on (it must not run again); what is
//                            sent after it is the stop-and-copy, without a bandwidth limit
//   link.handOver(state)     the guest state (Machine.guestState()) goes across; a device the
//                            state leaves out keeps the destination's own (reset) registers
//
// The time bound: once the loop has run the source for more slices than any loop that stops
// after maxRounds rounds needs (twice the rounds' worth of the populated pages, plus ten), the
// link refuses to send and says so. After the hand-over the destination runs the guest to its
// end. What comes back is plain data for the grader to judge: what the link measured, the
// destination's page hashes at the hand-over, its console and stop, and the student's report.
import { LAYOUT, Machine, pageHash, readGuestPage, writeGuestPage } from 'nestvm';

const PAGE = 4096;

class Link {
  // Private: the student's code holds the link, and must reach the destination only through send.
  #src;
  #dst;
  #opts;
  #boundSlices;
  #start;
  #ramBase;
  #pages;
  #sent;
  #stopAndCopy;
  #stoppedAt;
  #state;

  constructor(src, dst, opts, boundSlices) {
    [this.#src, this.#dst, this.#opts, this.#boundSlices] = [src, dst, opts, boundSlices];
    this.#start = src.instructions;
    this.#ramBase = LAYOUT[src.arch].ramBase;
    this.#pages = src.memBytes / PAGE;
    this.#sent = 0;
    this.#stopAndCopy = 0;
    this.#stoppedAt = null;
    this.#state = null;
  }

  /** What the link measured, for the grader: pages sent, in the stop-and-copy, when it stopped, whether handed over. */
  measured() {
    return {
      sent: this.#sent,
      stopAndCopy: this.#stopAndCopy,
      stoppedAt: this.#stoppedAt,
      handedOver: this.#state !== null,
    };
  }

  #slices() {
    return Math.floor((this.#src.instructions - this.#start) / this.#opts.sliceInsns);
  }

  #checkSourceStill() {
    if (this.#stoppedAt !== null && this.#src.instructions !== this.#stoppedAt)
      throw new Error('the source ran after link.stopSource(): a stopped guest must stay stopped');
  }

  send(page, bytes) {
    if (this.#state !== null) throw new Error('link.send after link.handOver: the migration is over');
    if (!Number.isInteger(page) || page < 0 || page >= this.#pages)
      throw new Error(`link.send: ${page} is not a page of guest RAM (0 to ${this.#pages - 1})`);
    if (!(bytes instanceof Uint8Array) || bytes.length !== PAGE)
      throw new Error('link.send: bytes must be a Uint8Array of 4096 bytes');
    this.#checkSourceStill();
    if (this.#stoppedAt === null) this.#checkCredit();
    if (!writeGuestPage(this.#dst.vm, this.#ramBase + page * PAGE, bytes))
      throw new Error(`link.send: the destination has no frame for page ${page}`);
    this.#sent++;
    if (this.#stoppedAt !== null) this.#stopAndCopy++;
  }

  #checkCredit() {
    const slices = this.#slices();
    if (slices > this.#boundSlices)
      throw new Error(
        `stopped by the grader: the pre-copy ran ${slices} slices without a hand-over ` +
          `(more than ${this.#boundSlices}); a loop must stop after opts.maxRounds (${this.#opts.maxRounds}) rounds`,
      );
    const credit = this.#opts.bandwidth * (1 + slices);
    if (this.#sent + 1 > credit)
      throw new Error(
        `link.send: the link carries ${this.#opts.bandwidth} pages per slice, and ${this.#sent} ` +
          `went in ${slices} slices: run the source (src.runSlice()) or call link.stopSource() first`,
      );
  }

  stopSource() {
    if (this.#stoppedAt === null) this.#stoppedAt = this.#src.instructions;
  }

  handOver(state) {
    if (this.#state !== null) throw new Error('link.handOver was called twice');
    if (this.#stoppedAt === null) throw new Error('link.handOver before link.stopSource()');
    this.#checkSourceStill();
    if (state === null || typeof state !== 'object' || !Array.isArray(state.vcpus))
      throw new Error('link.handOver: pass the state Machine.guestState() returns');
    const own = this.#dst.guestState().devices;
    const devices = own.map((d) => (state.devices ?? []).find((s) => s?.name === d.name) ?? d);
    this.#dst.guestState({ ...state, devices });
    this.#state = state;
  }
}

// The student's code holds a link: it can neither replace its methods nor reach its fields.
Object.freeze(Link.prototype);

function warmUp(src, left, slice) {
  while (left > 0) {
    const before = src.instructions;
    const stop = src.runSlice(Math.min(left, slice));
    if (stop !== null) throw new Error(`the grader's guest stopped in its warm-up: ${stop.message}`);
    left -= src.instructions - before;
  }
}

function hashes(m) {
  const buf = new Uint8Array(PAGE);
  const out = [];
  const base = LAYOUT[m.arch].ramBase;
  for (let i = 0; i < m.memBytes / PAGE; i++) {
    readGuestPage(m.vm, base + i * PAGE, buf);
    out.push(pageHash(buf));
  }
  return out;
}

function populatedPages(m) {
  const buf = new Uint8Array(PAGE);
  const base = LAYOUT[m.arch].ramBase;
  let n = 0;
  for (let i = 0; i < m.memBytes / PAGE; i++) if (readGuestPage(m.vm, base + i * PAGE, buf) !== 'zero') n++;
  return n;
}

/* The student's report, kept to plain numbers and flags. */
function reportOf(r) {
  const rounds = Array.isArray(r?.rounds)
    ? r.rounds.map((x) => ({ sent: Number(x?.sent), dirtied: Number(x?.dirtied) }))
    : null;
  return { converged: typeof r?.converged === 'boolean' ? r.converged : null, rounds };
}

const optionsOf = (side, memBytes, slice, extra = {}) => ({
  memBytes,
  format: side.format,
  seed: side.seed,
  ...(side.dirtyLog === undefined ? {} : { dirtyLog: side.dirtyLog }),
  sliceInsns: slice,
  ...extra,
});

export async function run(fn, image, kase, limits) {
  const slice = kase.link.sliceInsns;
  const src = new Machine(image, optionsOf(kase.source, limits.memBytes, slice));
  const dst = new Machine(
    { ...image, segments: [] },
    optionsOf(kase.destination, limits.memBytes, slice, { maxInsns: limits.maxInsns }),
  );
  try {
    src.setDirtyTracking(true);
    warmUp(src, kase.startAfter, slice);
    const populated = populatedPages(src);
    const perRound = Math.ceil(populated / kase.link.bandwidth) + 1;
    const link = Object.freeze(new Link(src, dst, { ...kase.link }, 2 * kase.link.maxRounds * perRound + 10));
    const report = reportOf(await fn(src, link, { ...kase.link }));
    const measured = link.measured();
    if (!measured.handedOver) {
      const stop = src.runSlice(1); // a guest that stopped answers its stop again
      throw new Error(
        stop === null
          ? 'precopy returned without link.handOver(): nothing was migrated'
          : `the guest ended on the source (${stop.reason}, status ${stop.code}) before any hand-over`,
      );
    }
    const atHandOver = hashes(dst);
    const stop = dst.run();
    return {
      report,
      sent: measured.sent,
      stopAndCopy: measured.stopAndCopy,
      atInstructions: measured.stoppedAt,
      hashes: atHandOver,
      console: dst.console,
      stop: { reason: stop.reason, code: stop.code },
      instructions: dst.instructions,
    };
  } finally {
    src.close();
    dst.close();
  }
}
