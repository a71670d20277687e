/** What a driver measured on the client side, whichever driver it was. */
export interface ClientResult {
  driver: string;
  /** Responses received (any status). */
  requests: number;
  durationSeconds: number;
  requestsPerSecond: number;
  latencyMs: { mean: number; p50: number; p95: number; p99: number; max: number };
  /** Responses by HTTP status code. */
  statuses: Record<string, number>;
  /** Requests that got no HTTP answer: connection errors and time-outs. */
  socketErrors: number;
  timeouts: number;
  /** Requests written to the wire (autocannon; wrk does not say). */
  sent?: number;
  /** Sent on a connection the server was closing, so never answered (see request-ledger.ts). */
  closedUnanswered: number;
  /** Still in flight when a duration run stopped: neither answered nor an error. */
  inFlightAtStop: number;
  /** X-Cache-Status values nginx sent (HIT, MISS, EXPIRED, ...), counted per response. */
  edgeCache: Record<string, number>;
  /** Submission ids answered 202. */
  acceptedIds: string[];
  /** How the open connections were used (autocannon): sending the load, or held open idle beside it. */
  connections?: { sending: number; idle: number; idleFailed: number; idleClosedByServer: number };
}

/** Answers that are not what a healthy system gives: 5xx, 429, and no answer at all (of any kind). */
export function errorCount(result: ClientResult): number {
  const bad = Object.entries(result.statuses)
    .filter(([status]) => Number(status) >= 500 || status === '429')
    .reduce((sum, [, n]) => sum + n, 0);
  return bad + result.socketErrors + result.timeouts + result.closedUnanswered;
}

export function errorRate(result: ClientResult): number {
  const attempts = result.requests + result.socketErrors + result.timeouts + result.closedUnanswered;
  return attempts === 0 ? 0 : errorCount(result) / attempts;
}

export function edgeHitRate(result: ClientResult): number | undefined {
  const total = Object.values(result.edgeCache).reduce((a, b) => a + b, 0);
  if (total === 0) return undefined;
  return ((result.edgeCache['HIT'] ?? 0) + (result.edgeCache['STALE'] ?? 0) + (result.edgeCache['UPDATING'] ?? 0) + (result.edgeCache['REVALIDATED'] ?? 0)) / total;
}
