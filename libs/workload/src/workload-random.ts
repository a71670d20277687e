/**
 * Deterministic randomness for load mixes, traces and fuzz inputs: the same seed
 * gives the same sequence on every machine, so two runs (the before and the after of
 * bench:scaling, a fuzz failure replayed, the CDN offload trace) see exactly the same work.
 */

/** mulberry32: a small, fast 32-bit PRNG; plenty for picking keys, not for secrets. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * Zipf-distributed ranks 0..n-1: rank k is drawn with weight 1/(k+1)^s. With
 * s = 1 (web page and form popularity are close to it) a few forms take most of
 * the traffic and a long tail the rest, which is what caches meet in practice.
 */
export function zipfSampler(n: number, s: number, random: () => number): () => number {
  if (!Number.isInteger(n) || n < 1) throw new Error(`zipfSampler needs n >= 1, got ${n}`);
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let k = 0; k < n; k++) {
    total += 1 / Math.pow(k + 1, s);
    cumulative[k] = total;
  }
  return () => {
    const target = random() * total;
    let low = 0;
    let high = n - 1;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((cumulative[mid] as number) < target) low = mid + 1;
      else high = mid;
    }
    return low;
  };
}
