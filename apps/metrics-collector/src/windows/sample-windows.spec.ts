import type { MetricsSample } from '@formscale/contracts';
import { SampleWindows } from './sample-windows';

function sample(instance: string, overrides: Partial<MetricsSample> = {}): MetricsSample {
  return {
    service: 'forms-api',
    instance,
    at: 1,
    intervalMs: 5000,
    counters: [],
    histograms: [],
    cpuPercent: 10,
    memoryPercent: 20,
    eventLoopLagSeconds: 0.01,
    final: false,
    ...overrides,
  };
}

function requests(route: string, status: string, delta: number) {
  return { name: 'http_requests_total', labels: { method: 'GET', route, status }, delta };
}

function durations(fast: number, slow: number) {
  return {
    name: 'http_request_duration_seconds',
    labels: { method: 'GET', route: '/x', status: '200' },
    buckets: [
      { le: 0.1, delta: fast },
      { le: 1, delta: fast + slow },
      { le: '+Inf' as const, delta: fast + slow },
    ],
    sum: 0,
    count: fast + slow,
  };
}

describe('SampleWindows', () => {
  let clock = 0;
  const windows = () => new SampleWindows(5000, () => clock);
  beforeEach(() => {
    clock = 1_000_000;
  });

  it('adds counters and histogram buckets of every instance into one window', () => {
    const store = windows();
    store.add(sample('a', { counters: [requests('/x', '200', 90), requests('/x', '503', 10)], histograms: [durations(50, 0)] }));
    store.add(sample('b', { counters: [requests('/x', '200', 100)], histograms: [durations(40, 10)] }));
    const figures = store.view('forms-api').windows['1m'];
    expect(figures.requests).toBe(200);
    expect(figures.errorRate).toBeCloseTo(0.05, 10);
    // 90 of 100 under 0.1 s; rank 95 lies halfway into (0.1, 1].
    expect(figures.p95).toBeCloseTo(0.55, 10);
    // Both samples cover the 5 s before they arrived: 200 requests / 5 s.
    expect(figures.requestRate).toBeCloseTo(40, 10);
    expect(figures.cpu).toBe(10);
  });

  it('merges the database query times of every node and instance', () => {
    const store = windows();
    const queries = (target: string, fast: number, slow: number, sum: number) => ({
      name: 'db_query_duration_seconds',
      labels: { target, role: target === 'primary' ? 'primary' : 'replica' },
      buckets: [
        { le: 0.001, delta: fast },
        { le: 0.01, delta: fast + slow },
        { le: '+Inf' as const, delta: fast + slow },
      ],
      sum,
      count: fast + slow,
    });
    store.add(sample('a', { histograms: [queries('primary', 0, 10, 0.05), queries('replica-1', 80, 0, 0.04)] }));
    store.add(sample('b', { histograms: [durations(5, 0), queries('replica-2', 10, 0, 0.005)] }));
    const { db, p95 } = store.view('forms-api').windows['1m'];
    // 100 queries over the 5 s the samples cover; 90 under 1 ms, rank 95 halfway into (1 ms, 10 ms].
    expect(db.queries).toBe(100);
    expect(db.queryRate).toBeCloseTo(20, 10);
    expect(db.mean).toBeCloseTo(0.095 / 100, 10);
    expect(db.p95).toBeCloseTo(0.0055, 10);
    // The request latency is its own histogram, untouched by the query times.
    expect(p95).toBeCloseTo(0.095, 10);
  });

  it('has no database figures for a service that sent no query', () => {
    const store = windows();
    store.add(sample('a', { histograms: [durations(5, 0)] }));
    expect(store.view('forms-api').windows['1m'].db).toEqual({ queries: 0, queryRate: 0, mean: null, p95: null, p99: null });
  });

  it('keeps a sample in the 5 minute window after it left the 1 minute one', () => {
    const store = windows();
    store.add(sample('a', { counters: [requests('/x', '200', 7)] }));
    clock += 61_000;
    store.add(sample('a'));
    const view = store.view('forms-api');
    expect(view.windows['1m'].requests).toBe(0);
    expect(view.windows['5m'].requests).toBe(7);
  });

  it('drops an instance silent for 3 periods, and at once one that sent its final sample', () => {
    const store = windows();
    store.add(sample('a'));
    store.add(sample('b'));
    store.add(sample('c'));
    clock += 3 * 5000 - 1;
    store.add(sample('b'));
    store.add(sample('c', { final: true }));
    expect(store.liveInstances('forms-api')).toEqual(['a', 'b']);
    clock += 1;
    expect(store.liveInstances('forms-api')).toEqual(['b']);
  });

  it('keeps request totals by route and status since start', () => {
    const store = windows();
    store.add(sample('a', { counters: [requests('/x', '200', 3)] }));
    clock += 400_000;
    store.add(sample('b', { counters: [requests('/x', '200', 4)] }));
    expect([...(store.totals.get('forms-api')?.values() ?? [])]).toEqual([{ method: 'GET', route: '/x', status: '200', count: 7 }]);
  });

  it('gives the hit ratio of each cache layer', () => {
    const store = windows();
    const cache = (layer: string, result: string, delta: number) => ({ name: 'cache_requests_total', labels: { layer, result }, delta });
    store.add(sample('a', { counters: [cache('l1', 'hit', 8), cache('l1', 'miss', 2), cache('l2', 'miss', 2)] }));
    expect(store.view('forms-api').windows['1m'].cacheHitRatio).toEqual({ l1: 0.8, l2: 0 });
  });
});
