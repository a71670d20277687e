import { Counter, Histogram, type Registry } from 'prom-client';

/**
 * Request outcomes are counted in plain fields on the hot path and handed to
 * prom-client only when the registry is scraped: a labelled `inc()` hashes its labels
 * on every call, which would cost more than the L1 hit it counts.
 */
export class CacheRequestCounts {
  l1Hit = 0;
  l1Miss = 0;
  l1Stale = 0;
  l2Hit = 0;
  l2Miss = 0;
  l2Stale = 0;
}

type CountField = keyof CacheRequestCounts;

const REQUEST_SERIES: ReadonlyArray<{ layer: string; result: string; field: CountField }> = [
  { layer: 'l1', result: 'hit', field: 'l1Hit' },
  { layer: 'l1', result: 'miss', field: 'l1Miss' },
  { layer: 'l1', result: 'stale', field: 'l1Stale' },
  { layer: 'l2', result: 'hit', field: 'l2Hit' },
  { layer: 'l2', result: 'miss', field: 'l2Miss' },
  { layer: 'l2', result: 'stale', field: 'l2Stale' },
];

const BUS_OUTCOMES = ['sent', 'received', 'dropped'] as const;
export type BusOutcome = (typeof BUS_OUTCOMES)[number];

/** The cache metrics of one registry, shared by every cache instance registered in it. */
export class CacheMetrics {
  readonly loaderDuration: Histogram<'result'>;
  readonly bus: Record<BusOutcome, { inc(): void }>;
  private readonly requests: Counter<'layer' | 'result'>;
  private readonly reported = new Map<CacheRequestCounts, CacheRequestCounts>();

  constructor(registry: Registry) {
    this.requests = new Counter({
      name: 'cache_requests_total',
      help: 'Cache lookups by layer (l1, l2) and result (hit, miss, stale)',
      labelNames: ['layer', 'result'],
      registers: [registry],
      collect: () => this.flushAll(),
    });
    for (const { layer, result } of REQUEST_SERIES) {
      this.requests.inc({ layer, result }, 0);
    }
    this.loaderDuration = new Histogram({
      name: 'cache_loader_duration_seconds',
      help: 'Time spent in loaders called on a cache miss or refresh, by result (success, error)',
      labelNames: ['result'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    const bus = new Counter({
      name: 'cache_bus_messages_total',
      help: 'cache.invalidate messages by outcome: sent, received (from other instances), dropped (unsendable or invalid)',
      labelNames: ['outcome'],
      registers: [registry],
    });
    for (const outcome of BUS_OUTCOMES) {
      bus.inc({ outcome }, 0);
    }
    this.bus = {
      sent: bus.labels({ outcome: 'sent' }),
      received: bus.labels({ outcome: 'received' }),
      dropped: bus.labels({ outcome: 'dropped' }),
    };
  }

  attach(counts: CacheRequestCounts): void {
    this.reported.set(counts, new CacheRequestCounts());
  }

  /** Reports what is left of a closing cache and forgets it. */
  detach(counts: CacheRequestCounts): void {
    this.flush(counts);
    this.reported.delete(counts);
  }

  private flushAll(): void {
    for (const counts of this.reported.keys()) {
      this.flush(counts);
    }
  }

  private flush(counts: CacheRequestCounts): void {
    const reported = this.reported.get(counts);
    if (reported === undefined) {
      return;
    }
    for (const { layer, result, field } of REQUEST_SERIES) {
      const delta = counts[field] - reported[field];
      if (delta > 0) {
        this.requests.inc({ layer, result }, delta);
        reported[field] = counts[field];
      }
    }
  }
}

const metricsByRegistry = new WeakMap<Registry, CacheMetrics>();

/** One set of metric objects per registry: prom-client refuses a second metric of the same name. */
export function cacheMetricsFor(registry: Registry): CacheMetrics {
  let metrics = metricsByRegistry.get(registry);
  if (metrics === undefined) {
    metrics = new CacheMetrics(registry);
    metricsByRegistry.set(registry, metrics);
  }
  return metrics;
}
