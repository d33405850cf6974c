// Lab `precopy`: the pre-copy live-migration loop.
//
// Read README.md first. precopy(src, link, opts) migrates the guest running on `src` (a nestvm
// Machine, on the source host) over `link` to a destination Machine on the other host, while the
// guest keeps running, and returns a report of the rounds.
//
//   src.runSlice(opts.sliceInsns)   run the guest one slice; a StopReason if it ended, else null
//   src.harvestDirty()              { bitmap, dirty }: pages written since the last harvest (page i
//                                   is bit i & 7 of byte i >> 3), and the log is cleared
//   readGuestPage(src.vm, gpa, buf) copy a page of guest RAM into buf (4096 bytes); returns
//                                   'zero' for a page the guest never wrote (import it from 'nestvm';
//                                   gpa = LAYOUT[src.arch].ramBase + page * 4096)
//   src.guestState()                registers, devices, instruction count, console: the state that
//                                   is not RAM
//   link.send(page, bytes)          page `page` of guest RAM gets `bytes` on the destination; while
//                                   the source runs, at most opts.bandwidth pages per slice
//   link.stopSource()               the guest stops: what you send from now on is the stop-and-copy
//   link.handOver(state)            the guest state goes across; the destination then runs the guest
//
//   opts = { bandwidth, sliceInsns, downtimePages, maxRounds }
//
// Return { rounds: [{ sent, dirtied }, ...], converged }.
//
// Grade with:  nestvm lab grade precopy .
import { LAYOUT, readGuestPage } from 'nestvm';

const PAGE = 4096;

/**
 * @param {import('nestvm').Machine} src
 * @param {{ send(page: number, bytes: Uint8Array): void, stopSource(): void,
 *           handOver(state: import('nestvm').GuestState): void }} link
 * @param {{ bandwidth: number, sliceInsns: number, downtimePages: number, maxRounds: number }} opts
 * @returns {{ rounds: { sent: number, dirtied: number }[], converged: boolean }}
 */
export function precopy(src, link, opts) {
  // TODO: round 0 sends every page with content, each later round what the guest dirtied while
  // the one before was sent (Task 1); stop after a round that leaves fewer than downtimePages
  // dirty, or after maxRounds (Task 2); then the stop-and-copy and the hand-over (Task 3).
  throw new Error('TODO: precopy is not written yet');
}
