/**
 * Latency histogram with log-spaced buckets: 1 % relative precision from 10 µs
 * to beyond a minute in under 2,000 counters, so a long soak run costs the same
 * memory as a short one.
 */
const GROWTH = 1.01;
const MIN_MS = 0.01;
const LOG_GROWTH = Math.log(GROWTH);

export class LatencyHistogram {
  private readonly counts = new Map<number, number>();
  count = 0;
  sumMs = 0;
  maxMs = 0;

  record(ms: number): void {
    const bucket = ms <= MIN_MS ? 0 : Math.ceil(Math.log(ms / MIN_MS) / LOG_GROWTH);
    this.counts.set(bucket, (this.counts.get(bucket) ?? 0) + 1);
    this.count++;
    this.sumMs += ms;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  merge(other: LatencyHistogram): void {
    for (const [bucket, n] of other.counts) this.counts.set(bucket, (this.counts.get(bucket) ?? 0) + n);
    this.count += other.count;
    this.sumMs += other.sumMs;
    this.maxMs = Math.max(this.maxMs, other.maxMs);
  }

  meanMs(): number {
    return this.count === 0 ? 0 : this.sumMs / this.count;
  }

  /** The upper bound of the bucket holding the q-quantile (0 < q <= 1), capped at the maximum seen. */
  quantileMs(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.ceil(q * this.count);
    let seen = 0;
    for (const bucket of [...this.counts.keys()].sort((a, b) => a - b)) {
      seen += this.counts.get(bucket) as number;
      if (seen >= rank) return Math.min(MIN_MS * Math.pow(GROWTH, bucket), this.maxMs);
    }
    return this.maxMs;
  }
}
