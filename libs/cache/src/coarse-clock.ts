/**
 * Date.now() for hot read paths, read at most once per CLOCK_RESOLUTION_MS.
 *
 * On VMs whose clock is not served by the vDSO, Date.now() is a system call (about
 * 300 ns on the reference machine), more than an L1 hit costs without it. Expiry
 * checks tolerate a few milliseconds: the cached value lags the real clock by at most
 * the resolution plus event-loop lag. New lifetimes are still computed from Date.now().
 * The same trick as lru-cache's ttlResolution.
 */
const CLOCK_RESOLUTION_MS = 5;

let cached = 0;

function expire(): void {
  cached = 0;
}

export function coarseNow(): number {
  if (cached === 0) {
    cached = Date.now();
    setTimeout(expire, CLOCK_RESOLUTION_MS).unref();
  }
  return cached;
}
