import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import type { MultiLayerCacheOptions } from './cache-options';
import { MultiLayerCache } from './multi-layer-cache';
import { Gate, quietLogger, SHARED_REDIS_URL, testPrefix, waitUntil } from '../test/cache-test-support';

describe('MultiLayerCache on the shared Redis', () => {
  const keyPrefix = testPrefix('single');
  const caches: MultiLayerCache[] = [];
  let raw: Redis;

  async function cache(options: MultiLayerCacheOptions = {}): Promise<MultiLayerCache> {
    const created = new MultiLayerCache({ keyPrefix, redisUrl: SHARED_REDIS_URL, logger: quietLogger, ...options });
    caches.push(created);
    expect(await created.ready()).toBe(true);
    return created;
  }

  beforeAll(() => {
    raw = new Redis(SHARED_REDIS_URL);
  });

  afterAll(async () => {
    await Promise.all(caches.map((c) => c.close()));
    const keys = await raw.keys(`${keyPrefix}*`);
    if (keys.length > 0) {
      await raw.unlink(...keys);
    }
    await raw.quit();
  });

  it('runs the loader once for 100 concurrent misses of one key', async () => {
    const a = await cache();
    let calls = 0;
    const loader = async (): Promise<{ id: number }> => {
      calls++;
      await sleep(50);
      return { id: 7 };
    };

    const results = await Promise.all(Array.from({ length: 100 }, () => a.getOrSet('stampede', loader)));

    expect(calls).toBe(1);
    expect(results.every((r) => r?.id === 7)).toBe(true);
    expect(a.stats().requests.l2Miss).toBe(1);
  });

  it('fills L1 from L2 with the remaining L2 lifetime, not a fresh or default TTL', async () => {
    const a = await cache();
    const b = await cache();
    const ttlMs = 4_000;
    const setAt = Date.now();
    await a.set('ttl', 'value', { ttlMs });
    await sleep(1_500);

    const filledAt = Date.now();
    expect(await b.getOrSet('ttl', () => 'from loader')).toBe('value');
    expect(b.stats().requests.l2Hit).toBe(1);
    // Only B's L1 holds the value now, so what B serves next shows its L1 lifetime.
    await raw.unlink(`${keyPrefix}v:ttl`);
    expect(b.peekL1('ttl')).toBe('value');

    await sleep(Math.max(0, setAt + ttlMs + 200 - Date.now()));
    // Still before filledAt + ttlMs: an L1 entry with a fresh TTL would be alive here.
    expect(Date.now()).toBeLessThan(filledAt + ttlMs);
    expect(b.peekL1('ttl')).toBeUndefined();
    expect(await b.get('ttl')).toBeUndefined();
  });

  it('serves a value within its grace at once and refreshes it once in the background', async () => {
    const a = await cache();
    const options = { ttlMs: 200, graceMs: 30_000 };
    await a.getOrSet('grace', () => 'old', options);
    await sleep(300);

    const gate = new Gate<string>();
    let refreshes = 0;
    const slowLoader = async (): Promise<string> => {
      refreshes++;
      return gate.promise;
    };
    // The loader is blocked, so these can only resolve with the stale value.
    const served = await Promise.all(Array.from({ length: 10 }, () => a.getOrSet('grace', slowLoader, options)));

    expect(served).toEqual(Array(10).fill('old'));
    expect(a.stats().requests.l1Stale).toBe(10);
    await waitUntil(() => refreshes === 1, 'the background refresh to call the loader');
    await a.getOrSet('grace', slowLoader, options);
    expect(refreshes).toBe(1);

    gate.open('new');
    await waitUntil(() => a.peekL1('grace') === 'new', 'the background refresh');
    expect(await a.getOrSet('grace', slowLoader, options)).toBe('new');
    expect(refreshes).toBe(1);
  });

  it('serves another instance a stale L2 value within its grace while it refreshes', async () => {
    const a = await cache();
    const b = await cache();
    const options = { ttlMs: 200, graceMs: 30_000 };
    await a.getOrSet('grace:l2', () => 'old', options);
    await sleep(300);

    let refreshes = 0;
    expect(
      await b.getOrSet(
        'grace:l2',
        () => {
          refreshes++;
          return 'new';
        },
        options,
      ),
    ).toBe('old');
    expect(b.stats().requests.l2Stale).toBe(1);
    await waitUntil(async () => (await b.get('grace:l2')) === 'new', 'the refresh to reach L2');
    expect(refreshes).toBe(1);
  });

  it('keeps serving the stale value when the refresh fails, and backs off the loader', async () => {
    const a = await cache({ graceBackoffMs: 60_000 });
    const options = { ttlMs: 200, graceMs: 30_000 };
    await a.getOrSet('stale-if-error', () => 'good', options);
    await sleep(300);

    let failures = 0;
    const failing = async (): Promise<string> => {
      failures++;
      throw new Error('database down');
    };

    await expect(a.getOrSet('stale-if-error', failing, options)).resolves.toBe('good');
    await waitUntil(() => failures === 1 && a.peekL1('stale-if-error') === 'good', 'the failed refresh');
    await expect(a.getOrSet('stale-if-error', failing, options)).resolves.toBe('good');
    await sleep(50);
    expect(failures).toBe(1);
  });

  it('propagates a loader error when there is nothing stale to serve', async () => {
    const a = await cache();
    await expect(
      a.getOrSet('no-stale', () => {
        throw new Error('database down');
      }),
    ).rejects.toThrow('database down');
  });

  it('caches "not found" for the negative TTL, in both layers', async () => {
    const a = await cache({ negativeTtlMs: 400 });
    const b = await cache({ negativeTtlMs: 400 });
    let calls = 0;
    const missing = async (): Promise<{ id: number } | null> => {
      calls++;
      return null;
    };

    expect(await a.getOrSet('missing', missing)).toBeUndefined();
    expect(await a.getOrSet('missing', missing)).toBeUndefined();
    expect(await b.getOrSet('missing', missing)).toBeUndefined();
    expect(calls).toBe(1);

    await sleep(500);
    expect(await a.getOrSet('missing', missing)).toBeUndefined();
    expect(calls).toBe(2);
  });

  it('round-trips Dates through L2, and leaves date-like strings and $date keys alone', async () => {
    const a = await cache();
    const b = await cache();
    const value = {
      createdAt: new Date('2026-01-02T03:04:05.678Z'),
      versions: [{ publishedAt: new Date(0) }, { publishedAt: null }],
      label: '2026-01-02T03:04:05.678Z',
      raw: { $date: 'not a date' },
    };
    await a.set('dates', value);

    const fromL2 = await b.get<typeof value>('dates');
    const fromL1 = await a.get<typeof value>('dates');

    for (const read of [fromL1, fromL2]) {
      expect(read?.createdAt).toBeInstanceOf(Date);
      expect(read?.createdAt.toISOString()).toBe('2026-01-02T03:04:05.678Z');
      expect(read?.versions[0]?.publishedAt).toBeInstanceOf(Date);
      expect(read?.versions[1]?.publishedAt).toBeNull();
      expect(read?.label).toBe('2026-01-02T03:04:05.678Z');
      expect(read?.raw).toEqual({ $date: 'not a date' });
    }
  });

  it('keeps L1 within its byte bound under a flood of ten times the keys that fit', async () => {
    const l1MaxBytes = 256 * 1024;
    const a = await cache({ redisUrl: false, l1MaxBytes, l1MaxEntries: 100_000 });
    const payload = 'x'.repeat(1_000);
    const fits = Math.floor(l1MaxBytes / payload.length);

    for (let i = 0; i < fits * 10; i++) {
      await a.getOrSet(`flood:${i}`, () => ({ i, payload }));
      expect(a.stats().l1Bytes).toBeLessThanOrEqual(l1MaxBytes);
    }

    expect(a.stats().l1Entries).toBeLessThanOrEqual(fits);
    expect(a.stats().l1Entries).toBeGreaterThan(fits / 2);
    expect(a.peekL1(`flood:${fits * 10 - 1}`)).toBeDefined();
    expect(a.peekL1('flood:0')).toBeUndefined();
  });

  it('evicts by tag on every instance and in L2', async () => {
    const a = await cache();
    const b = await cache();
    await a.set('tagged:1', 1, { tags: ['form:9'] });
    await a.set('tagged:2', 2, { tags: ['form:9', 'other'] });
    await a.set('untagged', 3);
    expect(await b.get('tagged:1')).toBe(1);
    expect(await b.get('tagged:2')).toBe(2);

    await a.deleteByTag('form:9');
    await waitUntil(() => b.peekL1('tagged:1') === undefined && b.peekL1('tagged:2') === undefined, 'tag eviction in B');

    expect(await a.get('tagged:1')).toBeUndefined();
    expect(await b.get('tagged:2')).toBeUndefined();
    expect(await b.get('untagged')).toBe(3);
    expect(await raw.exists(`${keyPrefix}t:form:9`)).toBe(0);
  });

  it('evicts a deleted key from the other instance', async () => {
    const a = await cache();
    const b = await cache();
    await a.set('deleted', 'v');
    expect(await b.get('deleted')).toBe('v');

    await a.delete('deleted');
    await waitUntil(() => b.peekL1('deleted') === undefined, 'delete to reach B');
    expect(await b.get('deleted')).toBeUndefined();
  });

  it('ignores its own bus messages and drops malformed ones', async () => {
    const registry = new Registry();
    const a = await cache({ registry });
    await a.set('own', 'v');
    const busMetric = () => registry.getSingleMetricAsString('cache_bus_messages_total');

    await raw.publish(a.channel, JSON.stringify({ pattern: a.channel, data: { instanceId: a.instanceId, keys: ['own'] } }));
    await raw.publish(a.channel, JSON.stringify({ pattern: a.channel, data: { keys: ['own'] } }));
    await raw.publish(a.channel, 'not json');
    await waitUntil(async () => (await busMetric()).includes('outcome="dropped"} 2'), 'two drops');

    expect(a.peekL1('own')).toBe('v');
    expect(await busMetric()).toContain('outcome="received"} 0');
  });

  it('publishes in the @nestjs/microservices Redis transport format on <prefix>cache.invalidate', async () => {
    const a = await cache();
    const listener = raw.duplicate();
    const messages: Array<{ channel: string; message: string }> = [];
    listener.on('message', (channel: string, message: string) => messages.push({ channel, message }));
    await listener.subscribe(`${keyPrefix}cache.invalidate`);

    await a.set('wire', 1);
    await waitUntil(() => messages.length === 1, 'the bus message');
    await listener.quit();

    expect(messages[0]?.channel).toBe(`${keyPrefix}cache.invalidate`);
    expect(JSON.parse(messages[0]?.message ?? '')).toEqual({
      pattern: `${keyPrefix}cache.invalidate`,
      data: { instanceId: a.instanceId, keys: ['wire'], tags: [], all: false },
    });
  });

  it('clears L1 after its bus connection comes back, since it may have missed invalidations', async () => {
    const a = await cache();
    const b = await cache();
    await a.set('bus', 'v1');
    expect(a.peekL1('bus')).toBe('v1');

    const clients = await raw.client('LIST');
    const busClient = String(clients)
      .split('\n')
      .find((line) => line.includes(`name=cache-bus-${a.instanceId}`));
    const id = /id=(\d+)/.exec(busClient ?? '')?.[1];
    expect(id).toBeDefined();
    await raw.client('KILL', 'ID', id as string);

    await waitUntil(() => a.peekL1('bus') === undefined, 'L1 to be cleared after the bus reconnect');
    // And the bus works again: a write elsewhere still evicts.
    expect(await a.get('bus')).toBe('v1');
    await b.set('bus', 'v2');
    await waitUntil(() => a.peekL1('bus') === undefined, 'invalidation after reconnect');
    expect(await a.get('bus')).toBe('v2');
  });

  it('counts requests by layer and result, loader time and bus messages in the given registry', async () => {
    const registry = new Registry();
    const a = await cache({ registry });
    const b = await cache({ registry });
    await a.getOrSet('metrics', () => 'v');
    await a.getOrSet('metrics', () => 'v');
    await b.getOrSet('metrics', () => 'v');
    await a.set('metrics:bus', 1);
    await waitUntil(async () => (await registry.getSingleMetricAsString('cache_bus_messages_total')).includes('outcome="received"} 1'), 'B to receive');

    const requests = await registry.getSingleMetricAsString('cache_requests_total');
    expect(requests).toContain('cache_requests_total{layer="l1",result="hit"} 1');
    expect(requests).toContain('cache_requests_total{layer="l1",result="miss"} 2');
    expect(requests).toContain('cache_requests_total{layer="l2",result="miss"} 1');
    expect(requests).toContain('cache_requests_total{layer="l2",result="hit"} 1');
    expect(await registry.getSingleMetricAsString('cache_loader_duration_seconds')).toContain(
      'cache_loader_duration_seconds_count{result="success"} 1',
    );
    expect(await registry.getSingleMetricAsString('cache_bus_messages_total')).toContain('outcome="sent"} 1');
  });
});
