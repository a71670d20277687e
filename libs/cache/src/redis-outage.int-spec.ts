import { Redis } from 'ioredis';
import { MultiLayerCache } from './multi-layer-cache';
import { quietLogger, testPrefix, waitUntil } from '../test/cache-test-support';
import { RedisServerProcess } from '@formscale/observability/testing';

// Stops Redis mid-test, so it runs its own redis-server on a free port, never the shared one.
describe('MultiLayerCache while Redis is down', () => {
  const keyPrefix = testPrefix('outage');
  let server: RedisServerProcess;
  let a: MultiLayerCache;
  let b: MultiLayerCache;

  beforeAll(async () => {
    server = await RedisServerProcess.start();
    const options = {
      keyPrefix,
      redisUrl: server.url,
      logger: quietLogger,
      commandTimeoutMs: 100,
      breakerPauseMs: 300,
      reconnectMaxDelayMs: 100,
    };
    a = new MultiLayerCache(options);
    b = new MultiLayerCache(options);
    expect(await a.ready()).toBe(true);
    expect(await b.ready()).toBe(true);
  }, 30_000);

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await server?.shutdown();
  });

  it('serves reads from L1 and loaders without throwing, then uses L2 again after a restart', async () => {
    expect(await a.getOrSet('cached', () => 'v1')).toBe('v1');

    await server.shutdown();
    await waitUntil(() => a.stats().redis !== 'ready', 'the cache to notice Redis is gone');

    const failingLoader = (): string => {
      throw new Error('the loader must not run for a key held in L1');
    };
    let loaderCalls = 0;
    for (let i = 0; i < 20; i++) {
      expect(await a.getOrSet('cached', failingLoader)).toBe('v1');
      expect(
        await a.getOrSet(`uncached:${i}`, () => {
          loaderCalls++;
          return `loaded ${i}`;
        }),
      ).toBe(`loaded ${i}`);
      expect(await a.get('never-written')).toBeUndefined();
    }
    expect(loaderCalls).toBe(20);
    await expect(a.set('written-while-down', 'x')).resolves.toBeUndefined();
    await expect(a.delete('cached-elsewhere')).resolves.toBeUndefined();
    await expect(a.deleteByTag('some-tag')).resolves.toBeUndefined();

    await server.restart();
    await waitUntil(() => a.stats().redis === 'ready' && b.stats().redis === 'ready', 'both caches to reconnect');

    await b.set('after-restart', 'from B');
    // get() never runs a loader: B's value can only come from L2.
    await waitUntil(async () => (await a.get('after-restart')) === 'from B', 'A to read what B wrote to L2');
    expect(a.stats().requests.l2Hit).toBeGreaterThanOrEqual(1);
    expect(a.stats().breaker).toBe('closed');
  }, 30_000);

  it('replays a delete that could not reach Redis once it is back', async () => {
    await a.set('lost-delete', 'old');
    expect(await b.get('lost-delete')).toBe('old');

    // Redis keeps running this time; only A's connection is cut, so L2 still holds 'old'.
    const admin = new Redis(server.url);
    const clients = String(await admin.client('LIST'));
    const line = clients.split('\n').find((l) => l.includes(`name=cache-${a.instanceId} `));
    const id = /id=(\d+)/.exec(line ?? '')?.[1] as string;
    await admin.client('KILL', 'ID', id);
    await a.delete('lost-delete');

    await waitUntil(async () => (await admin.exists(`${keyPrefix}v:lost-delete`)) === 0, 'the replayed delete');
    await waitUntil(() => b.peekL1('lost-delete') === undefined, 'B to be told');
    expect(await b.get('lost-delete')).toBeUndefined();
    await admin.quit();
  }, 30_000);
});
