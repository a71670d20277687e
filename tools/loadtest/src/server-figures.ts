import { z } from 'zod';

/** The part of the collector's GET /api/snapshot this report reads (apps/metrics-collector/src/api.controller.ts). */
const windowSchema = z.object({
  requestRate: z.number(),
  errorRate: z.number(),
  p95: z.number().nullable(),
  p99: z.number().nullable().optional(),
  cacheHitRatio: z.record(z.string(), z.number()).default({}),
});
const snapshotSchema = z.object({
  services: z.record(z.string(), z.object({ instances: z.number(), windows: z.object({ '1m': windowSchema }) })),
  queues: z.record(
    z.string(),
    z.object({ waiting: z.number(), active: z.number(), delayed: z.number(), failed: z.number(), oldestAgeSeconds: z.number() }),
  ),
});

export interface ServerFigures {
  /** Why figures are missing, when they are. */
  note?: string;
  services: Record<string, { instances: number; requestRate: number; errorRate: number; p95Ms: number | null; cacheHitRatio: Record<string, number> }>;
  queues: Record<string, { waiting: number; active: number; delayed: number; failed: number; oldestAgeSeconds: number }>;
}

/** The collector's view right now; a note instead of figures when it does not answer. */
export async function readCollector(collectorUrl: string): Promise<ServerFigures> {
  try {
    const response = await fetch(`${collectorUrl}/api/snapshot`, { signal: AbortSignal.timeout(5_000) });
    if (!response.ok) return { note: `the collector at ${collectorUrl} answered ${response.status}`, services: {}, queues: {} };
    const parsed = snapshotSchema.safeParse(await response.json());
    if (!parsed.success) return { note: `the collector's snapshot has an unexpected shape: ${parsed.error.issues[0]?.message}`, services: {}, queues: {} };
    return {
      services: Object.fromEntries(
        Object.entries(parsed.data.services).map(([name, view]) => {
          const w = view.windows['1m'];
          return [name, { instances: view.instances, requestRate: w.requestRate, errorRate: w.errorRate, p95Ms: w.p95 === null ? null : w.p95 * 1000, cacheHitRatio: w.cacheHitRatio }];
        }),
      ),
      queues: parsed.data.queues,
    };
  } catch (error) {
    return {
      note: `no server-side figures: the metrics collector at ${collectorUrl} is not reachable (${error instanceof Error ? error.message : String(error)}); start it with npm start or pass --collector-url`,
      services: {},
      queues: {},
    };
  }
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
