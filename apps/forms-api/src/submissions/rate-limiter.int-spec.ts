import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { formsApiConfig, loadConfig } from '@formscale/config';
import { failFastRedisOptions } from '../http/redis-options';
import { type RateDecision, RateLimiter } from './rate-limiter';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const WINDOW_SECONDS = 60;

describe('RateLimiter (real Redis, instances sharing it)', () => {
  const prefix = `{api-test-ratelimit-${randomBytes(4).toString('hex')}}`;
  const clients: Redis[] = [];
  const limiters: RateLimiter[] = [];

  /** One API instance's limiter: its own connection, the shared Redis counts. */
  async function instance(limit: number): Promise<RateLimiter> {
    const config = loadConfig(formsApiConfig, {
      ...process.env,
      QUEUE_PREFIX: prefix,
      RATE_LIMIT_SUBMISSIONS: String(limit),
      RATE_LIMIT_WINDOW_SECONDS: String(WINDOW_SECONDS),
    });
    const redis = new Redis(failFastRedisOptions(REDIS_URL, 500));
    clients.push(redis);
    await once(redis, 'ready');
    const limiter = new RateLimiter(redis, config);
    limiters.push(limiter);
    return limiter;
  }

  const allowed = (decisions: RateDecision[]) => decisions.filter((decision) => decision.allowed).length;

  afterAll(async () => {
    for (const limiter of limiters) limiter.onModuleDestroy();
    const redis = clients[0];
    if (redis !== undefined) {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
    }
    await Promise.all(clients.filter((client) => client.status === 'ready').map((client) => client.quit()));
  });

  it('lets a client send the limit, then refuses it with the time left in the window', async () => {
    const limiter = await instance(5);
    const decisions: RateDecision[] = [];
    for (let i = 0; i < 8; i++) decisions.push(await limiter.hit('10.0.0.1'));
    expect(decisions.map((decision) => decision.allowed)).toEqual([true, true, true, true, true, false, false, false]);
    const waits = decisions.slice(5).map((decision) => (decision.allowed ? 0 : decision.retryAfterSeconds));
    for (const wait of waits) expect(wait >= 1 && wait <= WINDOW_SECONDS).toBe(true);
  });

  it('never lets more than the limit through across instances, however their hits interleave', async () => {
    const instances = await Promise.all([instance(100), instance(100), instance(100)]);
    const hits = Array.from({ length: 300 }, () => instances.map((limiter) => limiter.hit('10.0.0.2')));
    const decisions = await Promise.all(hits.flat());
    // Every instance kept hitting until Redis had nothing left, so every leased permit was used.
    expect(allowed(decisions)).toBe(100);
  });

  it('counts each client apart', async () => {
    const limiter = await instance(3);
    const first = await Promise.all(Array.from({ length: 5 }, () => limiter.hit('10.0.0.3')));
    const second = await Promise.all(Array.from({ length: 5 }, () => limiter.hit('10.0.0.4')));
    expect([allowed(first), allowed(second)]).toEqual([3, 3]);
  });

  it('lets requests through when Redis cannot answer', async () => {
    const limiter = await instance(1);
    await clients[clients.length - 1]?.quit();
    const decisions = await Promise.all(Array.from({ length: 3 }, () => limiter.hit('10.0.0.5')));
    expect(allowed(decisions)).toBe(3);
  });
});
