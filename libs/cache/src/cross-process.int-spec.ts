import { setTimeout as sleep } from 'node:timers/promises';
import { MultiLayerCache } from './multi-layer-cache';
import { Gate, quietLogger, SHARED_REDIS_URL, testPrefix, waitUntil, wallClockMs } from '../test/cache-test-support';
import { PeerProcess } from '../test/peer-process';

// Cross-instance behaviour between two real processes: this one (A) and a child (B),
// both on the shared Redis under a prefix of their own.
describe('MultiLayerCache across processes', () => {
  const keyPrefix = testPrefix('xproc');
  let a: MultiLayerCache;
  let b: PeerProcess;

  beforeAll(async () => {
    a = new MultiLayerCache({ keyPrefix, redisUrl: SHARED_REDIS_URL, logger: quietLogger });
    expect(await a.ready()).toBe(true);
    b = await PeerProcess.start({ keyPrefix, redisUrl: SHARED_REDIS_URL });
  }, 30_000);

  afterAll(async () => {
    await b?.stop();
    await a?.close();
  });

  // A correctness bound, not a speed target: past it, replicas serve data that was overwritten.
  const INVALIDATION_BOUND_MS = 50;

  it('evicts a key from the other process L1 within 50 ms of a set', async () => {
    await a.set('form:1', { title: 'v1' });
    expect(await b.request('getOrSetMany', { key: 'form:1', value: { title: 'loaded' }, count: 1 })).toEqual([{ title: 'v1' }]);
    expect(await b.request('peek', { key: 'form:1' })).toEqual({ title: 'v1' });

    const evicted = b.nextEvent('evicted');
    await b.request('watchEviction', { key: 'form:1' });
    const before = wallClockMs();
    await a.set('form:1', { title: 'v2' });
    const { at } = await evicted;

    expect((at as number) - before).toBeLessThan(INVALIDATION_BOUND_MS);
    expect(await b.request('get', { key: 'form:1' })).toEqual({ title: 'v2' });
  });

  it('evicts a key from this process L1 within 50 ms of a set in the other process', async () => {
    expect(await a.getOrSet('form:2', () => ({ title: 'v1' }))).toEqual({ title: 'v1' });
    expect(a.peekL1('form:2')).toEqual({ title: 'v1' });

    const before = wallClockMs();
    const written = b.request('set', { key: 'form:2', value: { title: 'v2' } });
    let evictedAt = 0;
    await waitUntil(() => {
      evictedAt = wallClockMs();
      return a.peekL1('form:2') === undefined;
    }, 'eviction of form:2', 5_000, 1);
    await written;

    expect(evictedAt - before).toBeLessThan(INVALIDATION_BOUND_MS);
    expect(await a.get('form:2')).toEqual({ title: 'v2' });
  });

  it('with distributed, runs the loader once across both processes', async () => {
    const gate = new Gate<string>();
    let callsInA = 0;
    const loaderA = async (): Promise<string> => {
      callsInA++;
      return gate.promise;
    };
    const inA = Promise.all(Array.from({ length: 100 }, () => a.getOrSet('stampede:d', loaderA, { distributed: true })));
    await waitUntil(() => callsInA === 1, 'the loader in A to start (A holds the lock)');

    const inB = b.request<string[]>('getOrSetMany', { key: 'stampede:d', value: 'from B', count: 100, distributed: true });
    // B's 100 callers have polled several times by now; had the lock not held them, B's loader would have run.
    await sleep(300);
    expect(await b.request('loaderCalls')).toBe(0);

    gate.open('from A');
    const [resultsA, resultsB] = await Promise.all([inA, inB]);

    expect(callsInA).toBe(1);
    expect(await b.request('loaderCalls')).toBe(0);
    expect(new Set(resultsA)).toEqual(new Set(['from A']));
    expect(new Set(resultsB)).toEqual(new Set(['from A']));
  });

  it('without distributed, each process runs the loader once (the control for the test above)', async () => {
    const gate = new Gate<string>();
    let callsInA = 0;
    const loaderA = async (): Promise<string> => {
      callsInA++;
      return gate.promise;
    };
    const inA = Promise.all(Array.from({ length: 100 }, () => a.getOrSet('stampede:local', loaderA)));
    await waitUntil(() => callsInA === 1, 'the loader in A to start');
    const loaderCallsBefore = await b.request<number>('loaderCalls');

    const resultsB = await b.request<string[]>('getOrSetMany', { key: 'stampede:local', value: 'from B', count: 100 });
    gate.open('from A');
    await inA;

    expect(callsInA).toBe(1);
    expect((await b.request<number>('loaderCalls')) - loaderCallsBefore).toBe(1);
    expect(new Set(resultsB)).toEqual(new Set(['from B']));
  });
});
