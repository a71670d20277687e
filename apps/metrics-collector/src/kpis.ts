import type { QueueFigures } from '@formscale/contracts';
import type { ServiceView } from './windows/sample-windows';

/**
 * The seed's KPIs, with the thresholds infra/prometheus/alerts.yml uses, so
 * the dashboard and Prometheus fire on the same conditions.
 */
export const KPI = {
  p95Seconds: 0.5,
  errorRate: 0.001,
  cacheHitRatio: 0.8,
  // A queue whose oldest job waited a minute and keeps waiting longer is not keeping up.
  queueAgeSeconds: 60,
  // 99.9 % availability; burning 14.4x the budget spends 2 % of 30 days in an hour (Google SRE workbook).
  availability: 0.999,
  fastBurnRate: 14.4,
} as const;

export interface FiringAlert {
  alert: string;
  subject: string;
  value: number;
  threshold: number;
  summary: string;
}

export interface KpiInputs {
  services: Record<string, ServiceView>;
  queues: Record<string, QueueFigures>;
  /** Oldest-job age of each queue about a minute ago, to tell growing from steady. */
  queueAgeBefore: Record<string, number>;
  /** Instances that went silent (no goodbye) in the last 5 minutes, by service. */
  lostInstances: Record<string, string[]>;
  /** Replica ejections counted in the last 5 minutes, by service. */
  replicaEjections: Record<string, number>;
}

export function evaluateKpis(inputs: KpiInputs): FiringAlert[] {
  const firing: FiringAlert[] = [];
  const budget = 1 - KPI.availability;
  for (const [service, view] of Object.entries(inputs.services)) {
    const five = view.windows['5m'];
    const one = view.windows['1m'];
    if (five.p95 !== null && five.p95 > KPI.p95Seconds) {
      firing.push({ alert: 'HighLatencyP95', subject: service, value: five.p95, threshold: KPI.p95Seconds, summary: `${service} p95 over 500 ms (5 m)` });
    }
    if (five.requests > 0 && five.errorRate > KPI.errorRate) {
      firing.push({ alert: 'HighErrorRate', subject: service, value: five.errorRate, threshold: KPI.errorRate, summary: `${service} 5xx over 0.1 % (5 m)` });
    }
    const burn = KPI.fastBurnRate * budget;
    if (five.requests > 0 && five.errorRate > burn && one.errorRate > burn) {
      firing.push({ alert: 'ErrorBudgetBurn', subject: service, value: one.errorRate / budget, threshold: KPI.fastBurnRate, summary: `${service} burns the 99.9 % error budget over 14.4x` });
    }
    for (const [layer, ratio] of Object.entries(five.cacheHitRatio)) {
      if (ratio < KPI.cacheHitRatio) {
        firing.push({ alert: 'LowCacheHitRate', subject: `${service}/${layer}`, value: ratio, threshold: KPI.cacheHitRatio, summary: `${service} cache ${layer} hit rate under 80 %` });
      }
    }
  }
  for (const [queue, figures] of Object.entries(inputs.queues)) {
    const before = inputs.queueAgeBefore[queue] ?? 0;
    if (figures.oldestAgeSeconds > KPI.queueAgeSeconds && figures.oldestAgeSeconds > before) {
      firing.push({ alert: 'QueueAgeGrowing', subject: queue, value: figures.oldestAgeSeconds, threshold: KPI.queueAgeSeconds, summary: `${queue} oldest waiting job ${Math.round(figures.oldestAgeSeconds)} s and growing` });
    }
  }
  for (const [service, instances] of Object.entries(inputs.lostInstances)) {
    for (const instance of instances) {
      firing.push({ alert: 'InstanceDown', subject: instance, value: 0, threshold: 1, summary: `${service} instance ${instance} stopped reporting` });
    }
  }
  for (const [service, ejections] of Object.entries(inputs.replicaEjections)) {
    if (ejections > 0) {
      firing.push({ alert: 'ReplicaEjected', subject: service, value: ejections, threshold: 0, summary: `${service} ejected a read replica (5 m)` });
    }
  }
  return firing;
}
