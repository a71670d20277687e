import { Inject, Injectable } from '@nestjs/common';
import { METRICS_REGISTRY } from '@formscale/observability';
import { Counter, Gauge, Registry } from 'prom-client';
import { CollectorState } from './collector-state';
import { WindowName } from './windows/sample-windows';

// Not a `quantile` label: Prometheus reserves that for summaries, and promtool rejects it on a gauge.
const PERCENTILES = ['p50', 'p95', 'p99'] as const;

/**
 * The merged figures on the collector's /metrics, computed at scrape time.
 * Their `service` label names the service measured and wins over the
 * registry's default label (the collector's own name); Prometheus scrapes the
 * collector with honor_labels so it is kept.
 */
@Injectable()
export class AggregateMetrics {
  constructor(@Inject(METRICS_REGISTRY) registry: Registry, state: CollectorState) {
    const registers = [registry];
    type Figures = ReturnType<CollectorState['services']>[string]['windows'][WindowName];
    const perWindow = (pick: (figures: Figures) => number | null) =>
      function (this: Gauge<'service' | 'window'>) {
        this.reset();
        for (const [service, view] of Object.entries(state.services())) {
          for (const [window, figures] of Object.entries(view.windows)) {
            const value = pick(figures);
            if (value !== null) this.set({ service, window }, value);
          }
        }
      };
    const perPercentile = (pick: (figures: Figures) => Partial<Record<(typeof PERCENTILES)[number], number | null>>) =>
      function (this: Gauge<'service' | 'window' | 'percentile'>) {
        this.reset();
        for (const [service, view] of Object.entries(state.services())) {
          for (const [window, figures] of Object.entries(view.windows)) {
            const quantiles = pick(figures);
            for (const percentile of PERCENTILES) {
              const value = quantiles[percentile];
              if (value !== undefined && value !== null) this.set({ service, window, percentile }, value);
            }
          }
        }
      };
    new Counter({
      name: 'formscale_requests_total',
      help: 'HTTP requests answered by every instance of a service, counted since the collector started.',
      labelNames: ['service', 'method', 'route', 'status'],
      registers,
      collect() {
        this.reset();
        for (const [service, totals] of state.windows.totals) {
          for (const { method, route, status, count } of totals.values()) this.inc({ service, method, route, status }, count);
        }
      },
    });
    new Gauge({ name: 'formscale_request_rate', help: 'Requests per second of a service over the window.', labelNames: ['service', 'window'], registers, collect: perWindow((f) => f.requestRate) });
    new Gauge({ name: 'formscale_error_ratio', help: 'Share of a service\'s requests answered 5xx over the window.', labelNames: ['service', 'window'], registers, collect: perWindow((f) => f.errorRate) });
    new Gauge({ name: 'formscale_cpu_percent', help: 'Mean CPU of a service\'s instances over the window, in percent of their limit.', labelNames: ['service', 'window'], registers, collect: perWindow((f) => f.cpu) });
    new Gauge({ name: 'formscale_memory_percent', help: 'Mean memory of a service\'s instances over the window, in percent of their limit.', labelNames: ['service', 'window'], registers, collect: perWindow((f) => f.memory) });
    new Gauge({
      name: 'formscale_latency_seconds',
      help: 'Latency quantile of a service over the window, from its instances\' merged histogram buckets.',
      labelNames: ['service', 'window', 'percentile'],
      registers,
      collect: perPercentile((figures) => figures),
    });
    new Gauge({
      name: 'formscale_db_query_seconds',
      help: 'Database query time quantile of a service over the window, every node of every instance together.',
      labelNames: ['service', 'window', 'percentile'],
      registers,
      collect: perPercentile((figures) => figures.db),
    });
    new Gauge({ name: 'formscale_db_query_rate', help: 'Database queries per second of a service over the window.', labelNames: ['service', 'window'], registers, collect: perWindow((f) => f.db.queryRate) });
    new Gauge({
      name: 'formscale_cache_hit_ratio',
      help: 'Cache hits over lookups of a service, per layer, over the window.',
      labelNames: ['service', 'layer', 'window'],
      registers,
      collect() {
        this.reset();
        for (const [service, view] of Object.entries(state.services())) {
          for (const [window, figures] of Object.entries(view.windows)) {
            for (const [layer, ratio] of Object.entries(figures.cacheHitRatio)) this.set({ service, layer, window }, ratio);
          }
        }
      },
    });
    new Gauge({
      name: 'formscale_instances',
      help: 'Instances of a service that sent a sample within the last 3 periods.',
      labelNames: ['service'],
      registers,
      collect() {
        this.reset();
        for (const [service, view] of Object.entries(state.services())) this.set({ service }, view.instances);
      },
    });
    new Gauge({
      name: 'queue_jobs',
      help: 'Jobs in a BullMQ queue, by state.',
      labelNames: ['queue', 'state'],
      registers,
      collect() {
        this.reset();
        for (const [queue, figures] of Object.entries(state.queueFigures())) {
          for (const queueState of ['waiting', 'active', 'delayed', 'prioritized', 'failed'] as const) {
            this.set({ queue, state: queueState }, figures[queueState]);
          }
        }
      },
    });
    new Gauge({
      name: 'queue_oldest_waiting_age_seconds',
      help: 'How long the oldest waiting job of a BullMQ queue has waited; 0 when none waits.',
      labelNames: ['queue'],
      registers,
      collect() {
        this.reset();
        for (const [queue, figures] of Object.entries(state.queueFigures())) this.set({ queue }, figures.oldestAgeSeconds);
      },
    });
    new Counter({
      name: 'formscale_scaler_decisions_total',
      help: 'scaling.decision events the collector heard, by target.',
      labelNames: ['target'],
      registers,
      collect() {
        this.reset();
        for (const decision of state.recentDecisions()) this.inc({ target: decision.target });
      },
    });
    new Gauge({
      name: 'formscale_alerts_firing',
      help: 'KPI alerts the collector sees firing now, by alert name.',
      labelNames: ['alert'],
      registers,
      collect() {
        this.reset();
        const counts = new Map<string, number>();
        for (const alert of state.alerts()) counts.set(alert.alert, (counts.get(alert.alert) ?? 0) + 1);
        for (const [alert, count] of counts) this.set({ alert }, count);
      },
    });
  }
}
