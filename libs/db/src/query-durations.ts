import type { Metric, Registry } from 'prom-client';

/**
 * Upper bounds, in seconds: a cached-plan read on a local replica takes a
 * fraction of a millisecond, a batch insert tens, a query stuck behind locks
 * seconds.
 */
export const QUERY_DURATION_BUCKETS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * One node's query durations as plain numbers. A prom-client observe() hashes
 * its labels on every call, which the read path cannot afford; this is a
 * bucket scan and three additions, turned into a histogram at scrape time.
 */
export class QueryDurations {
  /** Per bucket, not cumulative; the last slot is above every bound (+Inf). */
  readonly counts = new Float64Array(QUERY_DURATION_BUCKETS.length + 1);
  sum = 0;
  count = 0;

  observe(seconds: number): void {
    let bucket = 0;
    while (bucket < QUERY_DURATION_BUCKETS.length && seconds > QUERY_DURATION_BUCKETS[bucket]) bucket++;
    this.counts[bucket]++;
    this.sum += seconds;
    this.count++;
  }
}

export interface TimedNode {
  readonly name: string;
  readonly role: 'primary' | 'replica';
  readonly durations: QueryDurations;
}

interface ExportedValue {
  value: number;
  labels: Record<string, string | number>;
  metricName: string;
}

const NAME = 'db_query_duration_seconds';

/**
 * db_query_duration_seconds{target,role} in the shape prom-client's Histogram
 * gives to the registry (cumulative `_bucket` series with `le`, then `_sum`
 * and `_count`), so /metrics and the metrics sample read it like any other.
 */
export function registerQueryDurations(registry: Registry, nodes: () => readonly TimedNode[]): void {
  const metric = {
    name: NAME,
    help: 'Time from asking for a statement (or a whole transaction) to its result, pool wait included, by node (target) and role.',
    type: 'histogram',
    aggregator: 'sum',
    get: async () => {
      const values: ExportedValue[] = [];
      for (const node of nodes()) {
        const labels = { target: node.name, role: node.role };
        let cumulative = 0;
        QUERY_DURATION_BUCKETS.forEach((le, index) => {
          cumulative += node.durations.counts[index];
          values.push({ value: cumulative, labels: { ...labels, le }, metricName: `${NAME}_bucket` });
        });
        values.push({ value: node.durations.count, labels: { ...labels, le: '+Inf' }, metricName: `${NAME}_bucket` });
        values.push({ value: node.durations.sum, labels, metricName: `${NAME}_sum` });
        values.push({ value: node.durations.count, labels, metricName: `${NAME}_count` });
      }
      return { name: NAME, help: metric.help, type: metric.type, aggregator: metric.aggregator, values };
    },
  };
  // The registry reads any object with get(); prom-client's types only name its own classes.
  registry.registerMetric(metric as unknown as Metric);
}
