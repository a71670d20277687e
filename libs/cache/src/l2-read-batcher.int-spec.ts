import { Redis } from 'ioredis';
import { L2ReadBatcher } from './l2-read-batcher';
import { SHARED_REDIS_URL, testPrefix, waitUntil } from '../test/cache-test-support';

describe('L2ReadBatcher on the shared Redis', () => {
  const prefix = testPrefix('batch');
  let redis: Redis;
  let monitor: Awaited<ReturnType<Redis['monitor']>>;
  const mgets: string[][] = [];

  beforeAll(async () => {
    redis = new Redis(SHARED_REDIS_URL);
    for (let i = 0; i < 300; i += 2) {
      await redis.set(`${prefix}${i}`, `value-${i}`, 'PX', 60_000);
    }
    monitor = await redis.monitor();
    // MONITOR sees every client of the shared Redis; keep only this test's reads.
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args[0]?.toLowerCase() === 'mget' && args[1]?.startsWith(prefix) === true) {
        mgets.push(args.slice(1));
      }
    });
  });

  afterAll(async () => {
    monitor.disconnect();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.unlink(...keys);
    await redis.quit();
  });

  beforeEach(() => {
    mgets.length = 0;
  });

  it('answers each of 300 reads of one tick with its own value, in MGETs of at most maxBatch keys', async () => {
    const batcher = new L2ReadBatcher(redis, 128);
    const keys = Array.from({ length: 300 }, (_, i) => `${prefix}${i}`);
    const values = await Promise.all(keys.map((key) => batcher.read(key)));

    expect(values).toEqual(keys.map((_, i) => (i % 2 === 0 ? `value-${i}` : null)));
    await waitUntil(() => mgets.length >= 3, 'the MGETs to reach MONITOR');
    expect(mgets.map((batch) => batch.length)).toEqual([128, 128, 44]);
    expect(mgets.flat()).toEqual(keys);
  });

  it('batches the reads of callers that one reply resumed into the next MGET', async () => {
    const batcher = new L2ReadBatcher(redis);
    const chains = Array.from({ length: 20 }, async (_, i) => {
      const first = await batcher.read(`${prefix}${i * 2}`);
      const second = await batcher.read(`${prefix}${i * 2 + 100}`);
      return [first, second];
    });

    expect(await Promise.all(chains)).toEqual(Array.from({ length: 20 }, (_, i) => [`value-${i * 2}`, `value-${i * 2 + 100}`]));
    await waitUntil(() => mgets.length >= 2, 'the MGETs to reach MONITOR');
    expect(mgets.map((batch) => batch.length)).toEqual([20, 20]);
  });

  it('rejects every read of a batch when Redis cannot answer', async () => {
    const closed = new Redis(SHARED_REDIS_URL);
    await closed.quit();
    const batcher = new L2ReadBatcher(closed);
    const reads = [batcher.read(`${prefix}0`), batcher.read(`${prefix}2`)];

    for (const read of reads) {
      await expect(read).rejects.toThrow(/Connection is closed/);
    }
  });
});
