/*
 * A read-heavy trace with a Zipf-like popularity spread, and its replay
 * through the edge, counting what reached the origin.
 */
import { seededRandom, zipfSampler } from '@formscale/workload';
import type { Edge, StandInOrigin } from './edge-runtime';

export interface TraceSettings {
  forms: number;
  requests: number;
  /** Zipf exponent: ~1 is the classic web popularity curve (a few forms get most reads). */
  zipfExponent: number;
  /** Share of requests that are submissions (POST, never cacheable). */
  writeShare: number;
  /** Share of reads that carry a random query string (tracking tags, cache-busters). */
  junkQueryShare: number;
  seed: number;
}

export interface TraceRequest {
  method: 'GET' | 'POST';
  path: string;
}

export function makeTrace(settings: TraceSettings): TraceRequest[] {
  const next = seededRandom(settings.seed);
  const pick = zipfSampler(settings.forms, settings.zipfExponent, next);
  return Array.from({ length: settings.requests }, (): TraceRequest => {
    const form = `form-${pick()}`;
    if (next() < settings.writeShare) return { method: 'POST', path: `/api/forms/${form}/submissions` };
    const junk = next() < settings.junkQueryShare ? `?utm_source=mail&_=${Math.floor(next() * 1e9)}` : '';
    return { method: 'GET', path: `/api/forms/${form}${junk}` };
  });
}

export interface ReplayCounts {
  requests: number;
  originRequests: number;
  byStatus: Record<'HIT' | 'MISS' | 'STALE' | 'BYPASS', number>;
  /** Share of requests the origin did not have to answer. */
  offload: number;
  /** Share of requests answered from the edge cache (HIT or STALE). */
  hitRate: number;
}

/**
 * Replays the trace in order through the edge, waiting after a MISS until the
 * entry is stored (so the count does not depend on how fast the background
 * put is on this machine), and counts the origin's requests.
 */
export async function replayTrace(trace: TraceRequest[], edge: Edge, origin: StandInOrigin, edgeHost: string): Promise<ReplayCounts> {
  const before = origin.requests.length;
  const byStatus = { HIT: 0, MISS: 0, STALE: 0, BYPASS: 0 };
  for (const request of trace) {
    const answer = await edge.fetch(request.path, request.method === 'POST' ? { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' } : {});
    const status = answer.headers.get('x-edge-cache') as keyof typeof byStatus | null;
    if (status === null || !(status in byStatus)) throw new Error(`the edge answered ${request.path} without a cache status`);
    byStatus[status] += 1;
    if (status === 'MISS') {
      const key = `${edgeHost}${request.path.split('?')[0]}`;
      for (let attempt = 0; attempt < 200 && !(await edge.holds(key)); attempt += 1) await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
  const originRequests = origin.requests.length - before;
  return {
    requests: trace.length,
    originRequests,
    byStatus,
    offload: 1 - originRequests / trace.length,
    hitRate: (byStatus.HIT + byStatus.STALE) / trace.length,
  };
}
