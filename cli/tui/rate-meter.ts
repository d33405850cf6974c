/*
 * A rate from a growing counter: instructions per second, dirty pages per second.
 *
 * The caller passes both the counter and the time (performance.now() in the adapter, a plain
 * number in tests), so nothing here reads a clock. The rate is re-measured only when at least
 * `minMs` passed since the last measurement, so that sampling at 10 Hz does not turn jitter into
 * noise; between measurements the last rate is returned unchanged.
 */
export class RateMeter {
  private at = Number.NaN;
  private base = 0;
  private rate = 0;

  constructor(private readonly minMs = 250) {}

  sample(counter: number, nowMs: number): number {
    if (Number.isNaN(this.at) || counter < this.base) {
      this.at = nowMs;
      this.base = counter;
      this.rate = 0;
    } else if (nowMs - this.at >= this.minMs) {
      this.rate = ((counter - this.base) * 1000) / (nowMs - this.at);
      this.at = nowMs;
      this.base = counter;
    }
    return this.rate;
  }
}
