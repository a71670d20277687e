import type { HistogramDelta, MetricsSample } from '@formscale/contracts';
import { histogramQuantile } from './histogram-quantile';

/** The windows the collector keeps: one for the scaler's and people's "now", one steadier. */
export const WINDOWS = { '1m': 60_000, '5m': 300_000 } as const;
export type WindowName = keyof typeof WINDOWS;
const LONGEST_WINDOW_MS = Math.max(...Object.values(WINDOWS));

/** An instance that missed this many sample periods in a row is taken for gone. */
export const SILENT_PERIODS_BEFORE_DROP = 3;

const REQUESTS = 'http_requests_total';
const DURATION = 'http_request_duration_seconds';
const CACHE = 'cache_requests_total';
const DB_DURATION = 'db_query_duration_seconds';

/** Statements the service's instances sent to the database, every node together (db_query_duration_seconds). */
export interface DbQueryFigures {
  /** Queries counted in the window; a transaction counts once. */
  queries: number;
  /** Those per second over the part of the window samples cover. */
  queryRate: number;
  /** Seconds, from the asking to the result, pool wait included; null with no query. */
  mean: number | null;
  p95: number | null;
  p99: number | null;
}

export interface WindowFigures {
  /** Requests counted in the window. */
  requests: number;
  /** Requests per second over the part of the window samples cover. */
  requestRate: number;
  /** Share of requests answered 5xx, 0-1; 0 with no request. */
  errorRate: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  cpu: number;
  memory: number;
  eventLoopLagSeconds: number;
  /** Per cache layer, hits over lookups, 0-1; absent for a layer with no lookup. */
  cacheHitRatio: Record<string, number>;
  db: DbQueryFigures;
}

export interface ServiceView {
  instances: number;
  windows: Record<WindowName, WindowFigures>;
}

interface Received {
  at: number;
  sample: MetricsSample;
}

interface InstanceState {
  lastSeen: number;
  gone: boolean;
}

/**
 * Samples from every instance of every service, merged on demand into rolling
 * windows. Samples carry deltas, so a window's figure is a plain sum over the
 * samples received in it, whatever number of instances sent them.
 */
export class SampleWindows {
  private readonly samples = new Map<string, Received[]>();
  private readonly instances = new Map<string, Map<string, InstanceState>>();
  /** Requests counted since the collector started, by service and method/route/status. */
  readonly totals = new Map<string, Map<string, { method: string; route: string; status: string; count: number }>>();

  constructor(
    private readonly sampleIntervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  add(sample: MetricsSample): void {
    const at = this.now();
    const list = this.samples.get(sample.service) ?? [];
    list.push({ at, sample });
    this.samples.set(sample.service, list);
    const byInstance = this.instances.get(sample.service) ?? new Map<string, InstanceState>();
    byInstance.set(sample.instance, { lastSeen: at, gone: sample.final });
    this.instances.set(sample.service, byInstance);
    const totals = this.totals.get(sample.service) ?? new Map();
    for (const counter of sample.counters) {
      if (counter.name !== REQUESTS) continue;
      const { method = '', route = '', status = '' } = counter.labels;
      const key = `${method} ${route} ${status}`;
      const entry = totals.get(key) ?? { method, route, status, count: 0 };
      entry.count += counter.delta;
      totals.set(key, entry);
    }
    this.totals.set(sample.service, totals);
    this.prune(at);
  }

  services(): string[] {
    return [...this.instances.keys()].sort();
  }

  /** Instances heard from within the last SILENT_PERIODS_BEFORE_DROP periods that did not say goodbye. */
  liveInstances(service: string): string[] {
    const cutoff = this.now() - SILENT_PERIODS_BEFORE_DROP * this.sampleIntervalMs;
    return [...(this.instances.get(service) ?? new Map<string, InstanceState>()).entries()]
      .filter(([, state]) => !state.gone && state.lastSeen > cutoff)
      .map(([instance]) => instance)
      .sort();
  }

  /** Instances that went quiet without a final sample in the last 5 minutes: crashed or cut off. */
  silentInstances(service: string): string[] {
    const live = new Set(this.liveInstances(service));
    return [...(this.instances.get(service) ?? new Map<string, InstanceState>()).entries()]
      .filter(([instance, state]) => !state.gone && !live.has(instance))
      .map(([instance]) => instance)
      .sort();
  }

  /** Sum of one counter's deltas over a window, every label set together. */
  counterSum(service: string, name: string, windowMs: number): number {
    const since = this.now() - windowMs;
    return (this.samples.get(service) ?? [])
      .filter((received) => received.at > since)
      .flatMap((received) => received.sample.counters)
      .filter((counter) => counter.name === name)
      .reduce((sum, counter) => sum + counter.delta, 0);
  }

  view(service: string): ServiceView {
    return {
      instances: this.liveInstances(service).length,
      windows: {
        '1m': this.figures(service, WINDOWS['1m']),
        '5m': this.figures(service, WINDOWS['5m']),
      },
    };
  }

  figures(service: string, windowMs: number): WindowFigures {
    const now = this.now();
    const inWindow = (this.samples.get(service) ?? []).filter((received) => received.at > now - windowMs);
    let requests = 0;
    let errors = 0;
    const latency = new MergedHistogram();
    const dbQueries = new MergedHistogram();
    const cache = new Map<string, { hits: number; lookups: number }>();
    let coveredFrom = now;
    for (const { at, sample } of inWindow) {
      coveredFrom = Math.min(coveredFrom, at - sample.intervalMs);
      for (const counter of sample.counters) {
        if (counter.name === REQUESTS) {
          requests += counter.delta;
          if (counter.labels.status?.startsWith('5')) errors += counter.delta;
        } else if (counter.name === CACHE) {
          const layer = counter.labels.layer ?? 'all';
          const entry = cache.get(layer) ?? { hits: 0, lookups: 0 };
          entry.lookups += counter.delta;
          if (counter.labels.result === 'hit') entry.hits += counter.delta;
          cache.set(layer, entry);
        }
      }
      for (const histogram of sample.histograms) {
        if (histogram.name === DURATION) latency.add(histogram);
        else if (histogram.name === DB_DURATION) dbQueries.add(histogram);
      }
    }
    const spanSeconds = Math.max(now - Math.max(coveredFrom, now - windowMs), 1) / 1000;
    const mean = (pick: (sample: MetricsSample) => number) =>
      inWindow.length === 0 ? 0 : inWindow.reduce((sum, received) => sum + pick(received.sample), 0) / inWindow.length;
    return {
      requests,
      requestRate: inWindow.length === 0 ? 0 : requests / spanSeconds,
      errorRate: requests === 0 ? 0 : errors / requests,
      p50: latency.quantile(0.5),
      p95: latency.quantile(0.95),
      p99: latency.quantile(0.99),
      cpu: mean((sample) => sample.cpuPercent),
      memory: mean((sample) => sample.memoryPercent),
      eventLoopLagSeconds: mean((sample) => sample.eventLoopLagSeconds),
      cacheHitRatio: Object.fromEntries(
        [...cache.entries()].filter(([, entry]) => entry.lookups > 0).map(([layer, entry]) => [layer, entry.hits / entry.lookups]),
      ),
      db: {
        queries: dbQueries.count,
        queryRate: inWindow.length === 0 ? 0 : dbQueries.count / spanSeconds,
        mean: dbQueries.mean(),
        p95: dbQueries.quantile(0.95),
        p99: dbQueries.quantile(0.99),
      },
    };
  }

  private prune(now: number): void {
    for (const [service, list] of this.samples) {
      const kept = list.filter((received) => received.at > now - LONGEST_WINDOW_MS);
      this.samples.set(service, kept);
    }
    // Forget instances long gone, so a service that scales up and down all day does not grow this map.
    for (const byInstance of this.instances.values()) {
      for (const [instance, state] of byInstance) {
        if (state.lastSeen < now - LONGEST_WINDOW_MS) byInstance.delete(instance);
      }
    }
  }
}

/** Histogram deltas of every series and instance of one metric, added bucket by bucket. */
class MergedHistogram {
  private readonly buckets = new Map<number, number>();
  private sum = 0;
  count = 0;

  add(histogram: HistogramDelta): void {
    for (const bucket of histogram.buckets) {
      const le = bucket.le === '+Inf' ? Infinity : bucket.le;
      this.buckets.set(le, (this.buckets.get(le) ?? 0) + bucket.delta);
    }
    this.sum += histogram.sum;
    this.count += histogram.count;
  }

  quantile(q: number): number | null {
    return histogramQuantile(q, [...this.buckets.entries()].map(([le, count]) => ({ le, count })));
  }

  mean(): number | null {
    return this.count === 0 ? null : this.sum / this.count;
  }
}
