import { eventChannel, metricsSampleSchema, scalingDecisionSchema, scalingSnapshotSchema } from './metrics-events';

describe('metrics event schemas', () => {
  const sample = {
    service: 'forms-api',
    instance: 'forms-api-1',
    at: 1_764_240_000_000,
    intervalMs: 5000,
    counters: [{ name: 'http_requests_total', labels: { method: 'GET', route: '/x', status: '200' }, delta: 3 }],
    histograms: [{ name: 'http_request_duration_seconds', labels: {}, buckets: [{ le: 0.1, delta: 3 }, { le: '+Inf', delta: 3 }], sum: 0.02, count: 3 }],
    cpuPercent: 12.5,
    memoryPercent: 30,
    eventLoopLagSeconds: 0.011,
  };

  it('takes a sample as JSON carries it, +Inf as a string, and defaults final to false', () => {
    const parsed = metricsSampleSchema.parse(JSON.parse(JSON.stringify(sample)));
    expect(parsed.final).toBe(false);
    expect(parsed.histograms[0].buckets[1].le).toBe('+Inf');
  });

  it('rejects a negative delta and a missing instance', () => {
    expect(metricsSampleSchema.safeParse({ ...sample, counters: [{ ...sample.counters[0], delta: -1 }] }).success).toBe(false);
    expect(metricsSampleSchema.safeParse({ ...sample, instance: '' }).success).toBe(false);
  });

  it('takes a snapshot with a null p95 for a service without requests', () => {
    const snapshot = {
      at: 1,
      windowSeconds: 60,
      services: { worker: { instances: 1, requestRate: 0, errorRate: 0, p95: null, cpu: 3, memory: 20 } },
      queues: { submissions: { waiting: 4, active: 1, delayed: 0, prioritized: 0, failed: 0, oldestAgeSeconds: 2.5 } },
    };
    expect(scalingSnapshotSchema.parse(snapshot)).toEqual(snapshot);
    expect(scalingSnapshotSchema.safeParse({ ...snapshot, queues: { submissions: { waiting: 1.5 } } }).success).toBe(false);
  });

  it('takes a decision and rejects one without a target', () => {
    const decision = { target: 'forms-api', from: 2, to: 3, reason: 'cpu', metrics: { cpu: 85 }, at: 1 };
    expect(scalingDecisionSchema.parse(decision)).toEqual(decision);
    expect(scalingDecisionSchema.safeParse({ ...decision, target: '' }).success).toBe(false);
  });

  it('prefixes channels so side-by-side stacks do not hear each other', () => {
    expect(eventChannel('', 'metrics.sample')).toBe('metrics.sample');
    expect(eventChannel('ci-42:', 'metrics.sample')).toBe('ci-42:metrics.sample');
  });
});
