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
