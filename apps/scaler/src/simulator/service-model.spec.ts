import { DEFAULT_SERVICE, ServiceModel, weightedP95 } from './service-model';

const settings = { ...DEFAULT_SERVICE, capacityPerReplica: 250, serviceTimeMs: 20, startupSeconds: 30 };

describe('service model', () => {
  it('queues what is offered beyond the ready capacity, first in first out', () => {
    const model = new ServiceModel(settings, 1);
    let last = model.step(0, 1, 300);
    for (let t = 1; t < 10; t++) {
      last = model.step(t, 1, 300);
    }
    expect(last.backlog).toBeCloseTo(500);
    // 250 served a second from 3,000 arrived: the oldest waiting request came at t = 8 s (2,000 served).
    expect(last.queueAgeSeconds).toBe(2);
    expect(last.p95Ms).toBe(2000 + 20);
    const observation = model.observe(10);
    expect(observation.replicas).toEqual([{ state: 'ready', cpu: 100, memory: 60, requestRate: 250 }]);
    expect(observation.queue).toMatchObject({ waiting: 500, prioritized: 0, delayedDue: 0, active: 5 });
  });

  it('serves everything at the service time below capacity', () => {
    const model = new ServiceModel(settings, 2);
    const step = model.step(0, 1, 100);
    expect(step).toMatchObject({ served: 100, backlog: 0, queueAgeSeconds: 0, p95Ms: 20 });
    expect(model.observe(1).replicas[0]).toMatchObject({ cpu: 20, requestRate: 50 });
  });

  it('new replicas serve only after the start-up time; removal takes starting ones first', () => {
    const model = new ServiceModel(settings, 1);
    model.scaleTo(3, 10);
    expect(model.step(39, 1, 0).ready).toBe(1);
    expect(model.step(40, 1, 0).ready).toBe(3);
    model.scaleTo(5, 40);
    model.scaleTo(3, 41);
    expect(model.readyCount(41)).toBe(3);
    expect(model.observe(41).replicas.map((replica) => replica.state)).toEqual(['ready', 'ready', 'ready']);
  });

  it('p95 of weighted latencies', () => {
    expect(weightedP95([{ count: 94, latencyMs: 10 }, { count: 6, latencyMs: 900 }])).toBe(900);
    expect(weightedP95([{ count: 95, latencyMs: 10 }, { count: 5, latencyMs: 900 }])).toBe(10);
    expect(weightedP95([])).toBeUndefined();
  });
});
