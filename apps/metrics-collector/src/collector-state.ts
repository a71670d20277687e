import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { MetricsSample, QueueFigures, ScalingDecision, ScalingSnapshot } from '@formscale/contracts';
import { evaluateKpis, FiringAlert } from './kpis';
import { QueuePoller } from './queues/queue-poller';
import { SampleWindows, ServiceView, WINDOWS } from './windows/sample-windows';

export interface CollectorStateOptions {
  sampleIntervalMs: number;
  historyMinutes: number;
}

export const COLLECTOR_STATE_OPTIONS = Symbol('COLLECTOR_STATE_OPTIONS');

// Enough for a day of decisions at the HPA's 15 s period; older ones are history for Prometheus.
const MAX_DECISIONS = 5760;
const SNAPSHOT_WINDOW = '1m';

/** One point of /api/history: the 1-minute figures of every service and every queue's depth. */
export interface HistoryPoint {
  at: number;
  services: Record<
    string,
    {
      instances: number;
      requestRate: number;
      errorRate: number;
      p95: number | null;
      cpu: number;
      memory: number;
      cacheHitRatio: Record<string, number>;
      /** p95 of the service's database queries, seconds. */
      dbP95: number | null;
    }
  >;
  queues: Record<string, QueueFigures>;
  alerts: number;
}

/** Everything the collector knows: sample windows, queue figures, scaler decisions and their history. */
@Injectable()
export class CollectorState implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly windows: SampleWindows;
  private readonly decisions: ScalingDecision[] = [];
  private readonly history: HistoryPoint[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(COLLECTOR_STATE_OPTIONS) private readonly options: CollectorStateOptions,
    private readonly queues: QueuePoller,
  ) {
    this.windows = new SampleWindows(options.sampleIntervalMs);
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.record(), this.options.sampleIntervalMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  addSample(sample: MetricsSample): void {
    this.windows.add(sample);
  }

  addDecision(decision: ScalingDecision): void {
    this.decisions.push(decision);
    if (this.decisions.length > MAX_DECISIONS) this.decisions.splice(0, this.decisions.length - MAX_DECISIONS);
  }

  services(): Record<string, ServiceView> {
    return Object.fromEntries(this.windows.services().map((service) => [service, this.windows.view(service)]));
  }

  queueFigures(): Record<string, QueueFigures> {
    return this.queues.figures();
  }

  recentDecisions(): ScalingDecision[] {
    return [...this.decisions];
  }

  alerts(services = this.services()): FiringAlert[] {
    const minuteAgo = Date.now() - WINDOWS['1m'];
    const before = [...this.history].reverse().find((point) => point.at <= minuteAgo);
    const names = Object.keys(services);
    return evaluateKpis({
      services,
      queues: this.queueFigures(),
      queueAgeBefore: Object.fromEntries(Object.entries(before?.queues ?? {}).map(([queue, figures]) => [queue, figures.oldestAgeSeconds])),
      lostInstances: Object.fromEntries(names.map((service) => [service, this.windows.silentInstances(service)])),
      replicaEjections: Object.fromEntries(
        names.map((service) => [service, this.windows.counterSum(service, 'db_replica_ejections_total', WINDOWS['5m'])]),
      ),
    });
  }

  /** What the scaler gets every sync period: the 1-minute figures per service and every queue. */
  scalingSnapshot(): ScalingSnapshot {
    const services = this.services();
    return {
      at: Date.now(),
      windowSeconds: WINDOWS[SNAPSHOT_WINDOW] / 1000,
      services: Object.fromEntries(
        Object.entries(services).map(([service, view]) => {
          const figures = view.windows[SNAPSHOT_WINDOW];
          return [
            service,
            { instances: view.instances, requestRate: figures.requestRate, errorRate: figures.errorRate, p95: figures.p95, cpu: figures.cpu, memory: figures.memory },
          ];
        }),
      ),
      queues: this.queueFigures(),
    };
  }

  historySince(since: number): HistoryPoint[] {
    return this.history.filter((point) => point.at > since);
  }

  /** Appends one history point and forgets those older than the configured span. */
  record(): void {
    const services = this.services();
    const at = Date.now();
    this.history.push({
      at,
      services: Object.fromEntries(
        Object.entries(services).map(([service, view]) => {
          const figures = view.windows[SNAPSHOT_WINDOW];
          return [
            service,
            {
              instances: view.instances,
              requestRate: figures.requestRate,
              errorRate: figures.errorRate,
              p95: figures.p95,
              cpu: figures.cpu,
              memory: figures.memory,
              cacheHitRatio: figures.cacheHitRatio,
              dbP95: figures.db.p95,
            },
          ];
        }),
      ),
      queues: this.queueFigures(),
      alerts: this.alerts(services).length,
    });
    const oldest = at - this.options.historyMinutes * 60_000;
    while (this.history.length > 0 && this.history[0].at < oldest) this.history.shift();
  }
}
