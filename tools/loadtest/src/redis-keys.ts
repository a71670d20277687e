import Redis from 'ioredis';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** Keys under a prefix, SCANned in pages (never KEYS on a shared Redis). */
export async function keysUnder(redisUrl: string, prefix: string): Promise<string[]> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      found.push(...keys);
      cursor = next;
    } while (cursor !== '0');
    return found;
  } finally {
    redis.disconnect();
  }
}

/** Deletes what a run left under its own prefix: queues with their kept jobs, cache entries, rate-limit counters. */
export async function deleteKeysUnder(redisUrl: string, prefix: string): Promise<number> {
  const keys = await keysUnder(redisUrl, prefix);
  if (keys.length === 0) return 0;
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    for (let i = 0; i < keys.length; i += 1000) await redis.unlink(...keys.slice(i, i + 1000));
    return keys.length;
  } finally {
    redis.disconnect();
  }
}
