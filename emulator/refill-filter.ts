/*
 * Which TLB fills the trace records.
 *
 * Unicorn's software TLB is QEMU's, and QEMU sizes it by use over a wall-clock window: when a flush
 * comes more than a window after the last resize and the table was lightly used, the table shrinks.
 * A smaller table evicts translations the guest still uses, and the engine asks the fill hook for
 * them again. How often that happens depends on how fast the host ran, so two runs of the same
 * guest see different numbers of fills. Everything those extra fills do is idempotent: the leaf
 * already has its Accessed (and Dirty) bit, the guest walk reads the same tables, and the answer is
 * the translation the engine already had.
 *
 * So the trace records a fill only when it tells the engine something new since the last flush:
 *
 *   first fill of a guest-virtual page since the flush        -> traced
 *   same page, another gpa or host frame                       -> traced (the tables changed)
 *   same page, rights that add to what was granted             -> traced (e.g. the first write)
 *   same page, same frame, rights already granted              -> a capacity refill: not traced
 *
 * The filter forgets everything when the vCPU's recorded generation moves on, which is exactly when
 * the Machine flushes the engine's TLB (VmClient.tableEnter answers mustFlush). Flushes the guest
 * makes itself (TLBI, a CR3 write) are not seen here; the fills after them are filtered the same way
 * in every run, so the trace stays deterministic. Every fill, traced or not, is still counted.
 *
 * Invariant: the filter's answer depends only on the sequence of fills and generations, never on
 * time. It exists only while a trace sink is attached.
 */

/* What the engine was last told for one guest-virtual page in this generation. */
interface Granted {
  gpa: number;
  hpa: number;
  prot: number;
}

export class RefillFilter {
  private readonly granted = new Map<number, Granted>();
  private generation = -1;

  /** Whether a fill of page gvaPage (at the vCPU's recorded generation) is news to the engine. */
  isNew(generation: number, gvaPage: number, gpa: number, hpa: number, prot: number): boolean {
    if (generation !== this.generation) {
      this.granted.clear();
      this.generation = generation;
    }
    const g = this.granted.get(gvaPage);
    if (g !== undefined && g.gpa === gpa && g.hpa === hpa && (prot & ~g.prot) === 0) return false;
    if (g !== undefined && g.gpa === gpa && g.hpa === hpa) g.prot |= prot;
    else this.granted.set(gvaPage, { gpa, hpa, prot });
    return true;
  }
}
