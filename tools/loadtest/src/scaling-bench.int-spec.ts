import { DEFAULT_REDIS_URL, keysUnder } from './redis-keys';
import { runScalingBench } from './scaling-bench';

describe('bench:scaling on a tiny run', () => {
  it('measures both phases and prints both columns with a ratio', async () => {
    const result = await runScalingBench(
      { connections: 4, durationSeconds: 1, requests: 60, forms: 3, apiInstances: 2, seed: 7, drainTimeoutSeconds: 1, driver: 'autocannon' },
      () => undefined,
    );
    // Every planned request is accounted for: answered, or counted under one
    // kind of no-answer (a busy 2-core machine may refuse a few at start-up).
    for (const phase of [result.before, result.after]) {
      const { sent, requests, socketErrors, timeouts, closedUnanswered, statuses } = phase.client;
      expect(sent).toBe(60);
      expect(requests + socketErrors + timeouts + closedUnanswered).toBe(60);
      expect(requests).toBeGreaterThan(0);
      expect(Object.keys(statuses).filter((status) => Number(status) >= 500)).toEqual([]);
    }
    // The collector of each phase counted what reached forms-api: every request
    // before (give or take the read made before the load), and after, all but
    // the reads nginx answered from its cache.
    for (const phase of [result.before, result.after]) {
      const api = phase.server.services['forms-api'];
      const fromCache = phase.client.edgeCache['HIT'] ?? 0;
      expect(api?.requests).toBeGreaterThanOrEqual(60 - fromCache);
      expect(api?.requests).toBeLessThanOrEqual(60 - fromCache + 1);
      expect(phase.server.queuePeaks['submissions']).toBeDefined();
      expect(phase.db.nodes.find((node) => node.node.startsWith('primary'))?.meanMsPerTransaction).toBeGreaterThan(0);
      // forms-api's own query times reach the report through the collector: reads missed the cache at least once.
      expect(api?.db?.queryRate).toBeGreaterThan(0);
      expect(api?.db?.p95Ms).toBeGreaterThan(0);
    }
    expect(result.after.server.services['forms-api']).toMatchObject({ instances: 2, peakInstances: 2 });
    expect(Object.keys(result.after.server.services['forms-api']?.cacheHitRatio ?? {})).toContain('l1');
    // The before run has no nginx in front; the after run's reads carry nginx's cache status.
    expect(Object.keys(result.before.client.edgeCache)).toEqual([]);
    expect(Object.keys(result.after.client.edgeCache).length).toBeGreaterThan(0);
    expect(result.before.exactlyOnce?.ok).toBe(true);
    expect(result.ratios.after_vs_before).toBeGreaterThan(0);
    const header = result.table.split('\n')[0];
    expect(header).toBe('| figure | before | after | after vs before |');
    expect(result.table).toMatch(/\| throughput \| \d[\d,]* req\/s \| \d[\d,]* req\/s \| \d+\.\dx \|/);
    expect(result.table).toMatch(/p95 < 500 ms: (met|NOT met)/);
    expect(await keysUnder(process.env['REDIS_URL'] || DEFAULT_REDIS_URL, result.queuePrefix)).toEqual([]);
  });
});
