import { Redis } from 'ioredis';
import { RedisServerProcess } from '@formscale/observability/testing';
import { L2ReadBatcher } from './l2-read-batcher';
import { testPrefix, waitUntil } from '../test/cache-test-support';

/*
 * On a redis-server of its own: MONITOR on the shared one carries every other
 * suite's traffic too, and under that flood ioredis' monitor connection once
 * failed with "Command queue state error".
 */
describe('L2ReadBatcher, watched through MONITOR', () => {
  const prefix = testPrefix('batch');
  let server: RedisServerProcess;
  let redis: Redis;
  let monitor: Awaited<ReturnType<Redis['monitor']>> | undefined;
  const mgets: string[][] = [];

  beforeAll(async () => {
    server = await RedisServerProcess.start();
    redis = new Redis(server.url);
    for (let i = 0; i < 300; i += 2) {
      await redis.set(`${prefix}${i}`, `value-${i}`, 'PX', 60_000);
    }
    monitor = await redis.monitor();
    // Only the batcher's reads: not the SETs above or the test's own commands.
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args[0]?.toLowerCase() === 'mget' && args[1]?.startsWith(prefix) === true) {
        mgets.push(args.slice(1));
      }
    });
  });

  afterAll(async () => {
    monitor?.disconnect();
    redis?.disconnect();
    await server?.shutdown();
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
    const closed = new Redis(server.url);
    await closed.quit();
    const batcher = new L2ReadBatcher(closed);
    const reads = [batcher.read(`${prefix}0`), batcher.read(`${prefix}2`)];

    for (const read of reads) {
      await expect(read).rejects.toThrow(/Connection is closed/);
    }
  });
});
