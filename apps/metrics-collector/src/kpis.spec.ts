import { evaluateKpis, KpiInputs } from './kpis';
import type { ServiceView, WindowFigures } from './windows/sample-windows';

function figures(overrides: Partial<WindowFigures> = {}): WindowFigures {
  return {
    requests: 1000,
    requestRate: 10,
    errorRate: 0,
    p50: 0.01,
    p95: 0.05,
    p99: 0.1,
    cpu: 20,
    memory: 30,
    eventLoopLagSeconds: 0.01,
    cacheHitRatio: { l1: 0.95 },
    db: { queries: 300, queryRate: 5, mean: 0.001, p95: 0.002, p99: 0.004 },
    ...overrides,
  };
}

function service(five: Partial<WindowFigures>, one: Partial<WindowFigures> = five): ServiceView {
  return { instances: 2, windows: { '1m': figures(one), '5m': figures(five) } };
}

function inputs(overrides: Partial<KpiInputs>): KpiInputs {
  return { services: {}, queues: {}, queueAgeBefore: {}, lostInstances: {}, replicaEjections: {}, ...overrides };
}

const names = (input: KpiInputs) => evaluateKpis(input).map((alert) => `${alert.alert} ${alert.subject}`).sort();

describe('evaluateKpis', () => {
  it('fires nothing for a healthy system', () => {
    expect(names(inputs({ services: { api: service({}) } }))).toEqual([]);
  });

  it('fires on p95 over 500 ms, 5xx over 0.1 % and a cache layer under 80 %, per service', () => {
    const services = {
      slow: service({ p95: 0.6 }),
      failing: service({ errorRate: 0.002 }),
      cold: service({ cacheHitRatio: { l1: 0.5, l2: 0.9 } }),
    };
    expect(names(inputs({ services }))).toEqual(['HighErrorRate failing', 'HighLatencyP95 slow', 'LowCacheHitRate cold/l1']);
  });

  it('fires the error-budget burn only when both windows burn over 14.4x', () => {
    expect(names(inputs({ services: { a: service({ errorRate: 0.02 }, { errorRate: 0.02 }) } }))).toContain('ErrorBudgetBurn a');
    expect(names(inputs({ services: { a: service({ errorRate: 0.02 }, { errorRate: 0.001 }) } }))).not.toContain('ErrorBudgetBurn a');
  });

  it('fires on a queue whose oldest job is over a minute old and older than before, not on a steady backlog', () => {
    const queue = (oldestAgeSeconds: number) => ({ waiting: 5, active: 1, delayed: 0, prioritized: 0, failed: 0, oldestAgeSeconds });
    const result = names(inputs({ queues: { growing: queue(120), steady: queue(120), young: queue(30) }, queueAgeBefore: { growing: 60, steady: 120, young: 0 } }));
    expect(result).toEqual(['QueueAgeGrowing growing']);
  });

  it('fires on an instance gone silent and on replica ejections', () => {
    expect(names(inputs({ lostInstances: { api: ['api-2'] }, replicaEjections: { api: 1, worker: 0 } }))).toEqual([
      'InstanceDown api-2',
      'ReplicaEjected api',
    ]);
  });
});
