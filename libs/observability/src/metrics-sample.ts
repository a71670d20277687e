import type { CounterDelta, HistogramDelta, MetricsSample } from '@formscale/contracts';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Registry } from 'prom-client';
import { CpuMeter, memoryPercent } from './process-usage';

// Process-level series are sent as cpuPercent/memoryPercent/eventLoopLagSeconds;
// their raw counters would only make every sample bigger.
const PROCESS_METRICS = /^(process_|nodejs_)/;
// Every series carries these from the registry's default labels; the sample says them once.
const IDENTITY_LABELS = new Set(['service', 'instance']);

type Labels = Record<string, string>;

/** One series as Registry.getMetricsAsJSON() gives it; histograms name their _bucket/_sum/_count parts. */
interface JsonValue {
  value: number;
  labels: Record<string, string | number | undefined>;
  metricName?: string;
}
interface JsonMetric {
  name: string;
  type: string;
  values: JsonValue[];
}

function ownLabels(labels: Record<string, string | number | undefined>, drop?: string): Labels {
  const kept: Labels = {};
  for (const [key, value] of Object.entries(labels)) {
    if (value !== undefined && key !== drop && !IDENTITY_LABELS.has(key)) kept[key] = String(value);
  }
  return kept;
}

function seriesKey(name: string, labels: Labels): string {
  return `${name}${JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)))}`;
}

/**
 * Turns the registry's running totals into what changed since the last call:
 * counters and histogram buckets as deltas, so the collector can add samples
 * from any number of instances and any window without knowing their history.
 */
export class SampleBuilder {
  private readonly previous = new Map<string, number>();
  private lastAt = Date.now();
  private readonly cpu = new CpuMeter();
  private readonly lag = monitorEventLoopDelay({ resolution: 10 });

  constructor(
    private readonly registry: Registry,
    private readonly service: string,
    private readonly instance: string,
  ) {
    this.lag.enable();
  }

  private delta(key: string, value: number): number {
    const before = this.previous.get(key) ?? 0;
    this.previous.set(key, value);
    return Math.max(0, value - before);
  }

  async take(final = false): Promise<MetricsSample> {
    const metrics = (await this.registry.getMetricsAsJSON()) as unknown as JsonMetric[];
    const counters: CounterDelta[] = [];
    const histograms: HistogramDelta[] = [];
    for (const metric of metrics) {
      if (PROCESS_METRICS.test(metric.name)) continue;
      if (metric.type === 'counter') {
        for (const value of metric.values) {
          const labels = ownLabels(value.labels);
          const delta = this.delta(seriesKey(metric.name, labels), value.value);
          if (delta > 0) counters.push({ name: metric.name, labels, delta });
        }
      } else if (metric.type === 'histogram') {
        histograms.push(...this.histogramDeltas(metric.name, metric.values));
      }
    }
    const at = Date.now();
    const intervalMs = at - this.lastAt;
    this.lastAt = at;
    const lagSeconds = Number.isFinite(this.lag.mean) ? this.lag.mean / 1e9 : 0;
    this.lag.reset();
    return {
      service: this.service,
      instance: this.instance,
      at,
      intervalMs,
      counters,
      histograms,
      cpuPercent: this.cpu.percentSinceLastRead(),
      memoryPercent: memoryPercent(),
      eventLoopLagSeconds: lagSeconds,
      final,
    };
  }

  stop(): void {
    this.lag.disable();
  }

  private histogramDeltas(name: string, values: JsonValue[]): HistogramDelta[] {
    const series = new Map<string, HistogramDelta>();
    const entry = (labels: Labels): HistogramDelta => {
      const key = seriesKey(name, labels);
      let found = series.get(key);
      if (found === undefined) {
        found = { name, labels, buckets: [], sum: 0, count: 0 };
        series.set(key, found);
      }
      return found;
    };
    for (const value of values) {
      const labels = ownLabels(value.labels, 'le');
      const key = seriesKey(value.metricName ?? name, ownLabels(value.labels));
      const delta = this.delta(key, value.value);
      const target = entry(labels);
      if (value.metricName === `${name}_bucket`) {
        const le = value.labels.le;
        target.buckets.push({ le: le === '+Inf' ? '+Inf' : Number(le), delta });
      } else if (value.metricName === `${name}_sum`) {
        target.sum = delta;
      } else if (value.metricName === `${name}_count`) {
        target.count = delta;
      }
    }
    return [...series.values()].filter((histogram) => histogram.count > 0);
  }
}
