import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';

/** The part of the collector's GET /api/snapshot this report reads (apps/metrics-collector/src/api.controller.ts). */
const windowSchema = z.object({
  requestRate: z.number(),
  errorRate: z.number(),
  p95: z.number().nullable(),
  p99: z.number().nullable().optional(),
  cacheHitRatio: z.record(z.string(), z.number()).default({}),
  db: z.object({ queryRate: z.number(), mean: z.number().nullable(), p95: z.number().nullable() }),
});
const queueSchema = z.object({ waiting: z.number(), active: z.number(), delayed: z.number(), failed: z.number(), oldestAgeSeconds: z.number() });
const totalSchema = z.object({ method: z.string(), route: z.string(), status: z.string(), count: z.number() });
const snapshotSchema = z.object({
  services: z.record(
    z.string(),
    z.object({ instances: z.number(), windows: z.object({ '1m': windowSchema, '5m': windowSchema }), requestsTotal: z.array(totalSchema).default([]) }),
  ),
  queues: z.record(z.string(), queueSchema),
});
type Snapshot = z.infer<typeof snapshotSchema>;

/** The collector's rolling windows: a load that fits in the shorter one is read from it, whole. */
export type CollectorWindow = '1m' | '5m';
const WINDOW_SECONDS: Record<CollectorWindow, number> = { '1m': 60, '5m': 300 };

export interface QueueFigures {
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  oldestAgeSeconds: number;
}

export interface ServerFigures {
  /** Why figures are missing, when they are. */
  note?: string;
  /** The window the service figures cover. */
  window: CollectorWindow;
  services: Record<
    string,
    {
      /** Live instances when the load ended, and the most seen while it ran. */
      instances: number;
      peakInstances: number;
      /** Requests on the load's routes every instance answered from the load's start until the figures were read (the collector's running totals, not a window). */
      requests: number;
      /** Those per second of load. */
      requestRate: number;
      /** Share of those answered 5xx. */
      errorRate: number;
      /** Over the window. */
      p95Ms: number | null;
      cacheHitRatio: Record<string, number>;
      /** The service's database queries over the window, as its instances timed them (pool wait included); null when it sent none. */
      db: { queryRate: number; meanMs: number | null; p95Ms: number | null } | null;
    }
  >;
  /** After the load (and the drain, for submissions). */
  queues: Record<string, QueueFigures>;
  /** The most waiting, active and delayed, and the oldest wait, seen while the load ran. */
  queuePeaks: Record<string, QueueFigures>;
}

/** The window that holds the whole load plus the time to read it afterwards. */
export function windowFor(loadSeconds: number, settleSeconds: number): CollectorWindow {
  return loadSeconds + settleSeconds <= WINDOW_SECONDS['1m'] ? '1m' : '5m';
}

async function fetchSnapshot(collectorUrl: string): Promise<Snapshot | string> {
  try {
    const response = await fetch(`${collectorUrl}/api/snapshot`, { signal: AbortSignal.timeout(5_000) });
    if (!response.ok) return `the collector at ${collectorUrl} answered ${response.status}`;
    const parsed = snapshotSchema.safeParse(await response.json());
    if (!parsed.success) return `the collector's snapshot has an unexpected shape: ${parsed.error.issues[0]?.message}`;
    return parsed.data;
  } catch (error) {
    return (
      `no server-side figures: the metrics collector at ${collectorUrl} is not reachable ` +
      `(${error instanceof Error ? error.message : String(error)}); start it with npm start or pass --collector-url`
    );
  }
}

function peakOf(a: QueueFigures | undefined, b: QueueFigures): QueueFigures {
  if (a === undefined) return { ...b };
  return {
    waiting: Math.max(a.waiting, b.waiting),
    active: Math.max(a.active, b.active),
    delayed: Math.max(a.delayed, b.delayed),
    failed: Math.max(a.failed, b.failed),
    oldestAgeSeconds: Math.max(a.oldestAgeSeconds, b.oldestAgeSeconds),
  };
}

// Often enough to catch a queue's peak within a 30 s run, cheap for the collector.
const WATCH_INTERVAL_MS = 2_000;

/** Requests on the load's routes and their 5xx answers, per service (setup's admin calls left out). */
function totals(snapshot: Snapshot): Map<string, { requests: number; errors: number }> {
  const byService = new Map<string, { requests: number; errors: number }>();
  for (const [name, service] of Object.entries(snapshot.services)) {
    const sum = { requests: 0, errors: 0 };
    for (const total of service.requestsTotal) {
      if (!LOAD_ROUTES.includes(total.route)) continue;
      sum.requests += total.count;
      if (total.status.startsWith('5')) sum.errors += total.count;
    }
    byService.set(name, sum);
  }
  return byService;
}

export interface CollectorWatch {
  /** Whether the collector answered when the watch began. */
  reachable: boolean;
  /** Reads it once more; rates are per second of `loadSeconds`, p95 and cache over `window`. */
  finish(window: CollectorWindow, loadSeconds: number): Promise<ServerFigures>;
}

/**
 * Reads the collector from just before the load: its request totals then are
 * the baseline of the counts, and reads while the load runs catch what one
 * read at the end would miss (queues drain, instances come and go).
 */
export async function watchCollector(collectorUrl: string): Promise<CollectorWatch> {
  const first = await fetchSnapshot(collectorUrl);
  const baseline = typeof first === 'string' ? new Map<string, { requests: number; errors: number }>() : totals(first);
  const queuePeaks: Record<string, QueueFigures> = {};
  const peakInstances: Record<string, number> = {};
  const stop = new AbortController();
  const take = (snapshot: Snapshot) => {
    for (const [name, queue] of Object.entries(snapshot.queues)) queuePeaks[name] = peakOf(queuePeaks[name], queue);
    for (const [name, service] of Object.entries(snapshot.services)) peakInstances[name] = Math.max(peakInstances[name] ?? 0, service.instances);
  };
  if (typeof first !== 'string') take(first);
  const loop = (async () => {
    while (!stop.signal.aborted) {
      const snapshot = await fetchSnapshot(collectorUrl);
      if (typeof snapshot !== 'string') take(snapshot);
      await sleep(WATCH_INTERVAL_MS, undefined, { signal: stop.signal }).catch(() => undefined);
    }
  })();
  return {
    reachable: typeof first !== 'string',
    async finish(window, loadSeconds) {
      stop.abort();
      await loop;
      const snapshot = await fetchSnapshot(collectorUrl);
      if (typeof snapshot === 'string') return { note: snapshot, window, services: {}, queues: {}, queuePeaks };
      take(snapshot);
      const now = totals(snapshot);
      return {
        window,
        services: Object.fromEntries(
          Object.entries(snapshot.services).map(([name, view]) => {
            const w = view.windows[window];
            const end = now.get(name) ?? { requests: 0, errors: 0 };
            const start = baseline.get(name) ?? { requests: 0, errors: 0 };
            const requests = end.requests - start.requests;
            return [
              name,
              {
                instances: view.instances,
                peakInstances: peakInstances[name] ?? view.instances,
                requests,
                requestRate: loadSeconds > 0 ? requests / loadSeconds : 0,
                errorRate: requests > 0 ? (end.errors - start.errors) / requests : 0,
                p95Ms: w.p95 === null ? null : w.p95 * 1000,
                cacheHitRatio: w.cacheHitRatio,
                db:
                  w.db.mean === null
                    ? null
                    : { queryRate: w.db.queryRate, meanMs: w.db.mean * 1000, p95Ms: w.db.p95 === null ? null : w.db.p95 * 1000 },
              },
            ];
          }),
        ),
        queues: snapshot.queues,
        queuePeaks,
      };
    },
  };
}

/** Routes the load hits, as forms-api labels them in http_requests_total. */
export const LOAD_ROUTES = ['/api/forms/:id', '/api/forms/:id/submissions'];

/** Sum of http_requests_total over the load's routes, from a forms-api's Prometheus /metrics. */
export async function readServerRequestCount(metricsUrl: string): Promise<number> {
  const response = await fetch(metricsUrl, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`${metricsUrl} answered ${response.status}`);
  return sumRequests(await response.text(), LOAD_ROUTES);
}

export function sumRequests(exposition: string, routes: readonly string[]): number {
  let total = 0;
  for (const line of exposition.split('\n')) {
    if (!line.startsWith('http_requests_total{')) continue;
    const route = /route="([^"]*)"/.exec(line)?.[1];
    if (route !== undefined && routes.includes(route)) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}
