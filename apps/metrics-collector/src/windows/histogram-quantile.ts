/** One cumulative bucket: how many observations were at most `le` seconds. */
export interface CumulativeBucket {
  le: number;
  count: number;
}

/**
 * The q-quantile of a cumulative histogram, interpolated the way Prometheus'
 * histogram_quantile() does: linearly inside the bucket where the rank falls,
 * from 0 for the first bucket; a rank in the +Inf bucket gives the highest
 * finite bound. Null when the histogram holds no observation.
 */
export function histogramQuantile(q: number, buckets: readonly CumulativeBucket[]): number | null {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const total = sorted.at(-1)?.count ?? 0;
  if (total === 0 || sorted.length < 2) return null;
  if (q <= 0) return 0;
  if (q >= 1) return sorted.at(-2)?.le ?? null;
  const rank = q * total;
  const index = sorted.findIndex((bucket) => bucket.count >= rank);
  const bucket = sorted[index];
  if (bucket.le === Infinity) return sorted[index - 1].le;
  const lowerBound = index === 0 ? 0 : sorted[index - 1].le;
  const lowerCount = index === 0 ? 0 : sorted[index - 1].count;
  const inBucket = bucket.count - lowerCount;
  if (inBucket === 0) return bucket.le;
  return lowerBound + (bucket.le - lowerBound) * ((rank - lowerCount) / inBucket);
}

/** Index of the bucket a value falls in (the first whose bound is at least the value). */
export function bucketIndex(value: number, bounds: readonly number[]): number {
  const index = bounds.findIndex((bound) => value <= bound);
  return index === -1 ? bounds.length : index;
}
