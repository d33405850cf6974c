/*
 * The post-copy pager and its push queue: which pages of guest RAM the destination still lacks,
 * how a missing page arrives on demand (a page request), and how the rest arrive in the
 * background, without a late push ever overwriting a page the destination already has.
 *
 * At the switch-over the source is stopped for good, so a page's source content never changes
 * again; what is still to cross is the list of pages not sent, or sent and dirtied since (`pending`).
 * Each page is in one of two states on the destination:
 *
 *   absent ──(page request: the guest, a device or the guest walk needs it)──► present
 *      └────(background push lands while the page is still absent)──────────► present
 *
 * and present is final. Two ways in:
 *
 *   request  VmObject.frameAt meets an absent page (mmu/vm/page-supplier.ts) and calls supply():
 *            the page is read from the source straight into the destination's frame, at once,
 *            inside the nested fault that needed it, and counted.
 *   push     between slices of the destination's guest, load(n) puts up to n pages on the wire,
 *            in ascending page order, skipping pages already present (the source knows what it
 *            sent on request); their content is read when they leave. land() delivers them at
 *            the end of the slice. A page requested while its push was on the wire is present by
 *            then, so that push is dropped (counted as discarded): it carries the source's copy,
 *            older than whatever the guest wrote since -- the stale-push hazard, which QEMU's
 *            destination meets by refusing to place a page twice.
 *
 * Invariants: every pending page arrives exactly once (requested + pushed = pending, a page
 * placed is never placed again); a present page's bytes are never written here again; `missing`
 * counts the absent pages. A page's state is set present before its content is placed, so the
 * placement's own frameAt (emulator/snapshot/guest-pages.ts writeGuestPage) does not request it.
 */
import type { Hfn } from '../../mmu/addr.js';
import { PAGE_SIZE } from '../../mmu/addr.js';
import type { PageSupplier } from '../../mmu/vm/page-supplier.js';

/** The two ends of the link, as the pager needs them. */
export interface PageLink {
  /** Copy the source's page `page` into `buf` (the source is stopped: it reads the same every time). */
  read(page: number, buf: Uint8Array): void;
  /** Make the destination's page `page` hold `bytes` (a push landing). */
  place(page: number, bytes: Uint8Array): void;
  /** The bytes of the destination's frame f (where a request is read into). */
  frame(f: Hfn): Uint8Array;
  /** A page request was served (trace, counters). */
  requested?(page: number): void;
}

/** What the pager has done so far. */
export interface PostcopyCounts {
  /** Pages not on the destination at the switch-over. */
  readonly pending: number;
  /** Pages that arrived by page request (a nested fault on the destination). */
  readonly requested: number;
  /** Pages that arrived by background push. */
  readonly pushed: number;
  /** Pushes dropped on landing because the page had been requested meanwhile. */
  readonly discarded: number;
  /** Pages still absent. */
  readonly missing: number;
}

const PRESENT = 0;
const ABSENT = 1;

export class PostcopyPages implements PageSupplier {
  private readonly state: Uint8Array;
  private readonly order: readonly number[];
  private next = 0;
  private wire: { page: number; bytes: Uint8Array }[] = [];
  private counts = { requested: 0, pushed: 0, discarded: 0, missing: 0 };

  /** `pages` of guest RAM, `pending` the ones absent now (any order, no repeats). */
  constructor(
    pages: number,
    pending: readonly number[],
    private readonly link: PageLink,
  ) {
    this.state = new Uint8Array(pages);
    for (const p of pending) {
      if (p < 0 || p >= pages || this.state[p] === ABSENT)
        throw new Error(`postcopy: pending page ${p} out of range or repeated`);
      this.state[p] = ABSENT;
    }
    this.order = [...pending].sort((a, b) => a - b);
    this.counts.missing = pending.length;
  }

  absent(page: number): boolean {
    return this.state[page] === ABSENT;
  }

  /** A page request: the absent page's content into its frame f, now. */
  supply(page: number, f: Hfn): void {
    if (this.state[page] !== ABSENT) throw new Error(`postcopy: page ${page} requested while present`);
    this.state[page] = PRESENT;
    this.link.read(page, this.link.frame(f));
    this.counts.requested++;
    this.counts.missing--;
    this.link.requested?.(page);
  }

  /** Put up to `n` more absent pages on the wire (read now; they land with land()). */
  load(n: number): number {
    let put = 0;
    while (this.wire.length < n && this.next < this.order.length) {
      const page = this.order[this.next++];
      if (this.state[page] !== ABSENT) continue;
      const bytes = new Uint8Array(PAGE_SIZE);
      this.link.read(page, bytes);
      this.wire.push({ page, bytes });
      put++;
    }
    return put;
  }

  /** Deliver the pages on the wire: placed when still absent, dropped (stale) when present. */
  land(): void {
    for (const { page, bytes } of this.wire) {
      if (this.state[page] !== ABSENT) {
        this.counts.discarded++;
        continue;
      }
      this.state[page] = PRESENT;
      this.link.place(page, bytes);
      this.counts.pushed++;
      this.counts.missing--;
    }
    this.wire = [];
  }

  /** Pages on the wire now. */
  get inFlight(): number {
    return this.wire.length;
  }

  get done(): boolean {
    return this.counts.missing === 0;
  }

  get totals(): PostcopyCounts {
    return { pending: this.order.length, ...this.counts };
  }
}
