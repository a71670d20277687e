import { REDIS_CLOSE_PROMPTLY } from '@formscale/config';
import type { RedisOptions } from 'ioredis';

/** ioredis options from a redis:// or rediss:// URL (BullMQ takes options, not URLs). */
export function redisOptionsFromUrl(url: string): RedisOptions {
  const parsed = new URL(url);
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  return {
    host: parsed.hostname,
    port: parsed.port === '' ? 6379 : Number(parsed.port),
    username: parsed.username === '' ? undefined : decodeURIComponent(parsed.username),
    password: parsed.password === '' ? undefined : decodeURIComponent(parsed.password),
    db: Number.isInteger(db) ? db : 0,
    tls: parsed.protocol === 'rediss:' ? {} : undefined,
  };
}

/**
 * Options of a connection that must fail fast rather than wait for Redis: a
 * request handler that cannot reach Redis answers 503 at once instead of
 * queueing commands in memory and answering 202 for work that was not stored.
 */
export function failFastRedisOptions(url: string, commandTimeoutMs: number): RedisOptions {
  return {
    ...redisOptionsFromUrl(url),
    enableOfflineQueue: false,
    commandTimeout: commandTimeoutMs,
    maxRetriesPerRequest: 1,
    /*
     * No auto-pipelining: each request's commands are issued from its own I/O
     * callback, so a batch rarely holds more than one command, and every batch
     * builds an ioredis Pipeline that copies each script defined on this
     * connection (BullMQ defines dozens): that cost more CPU per submission
     * than the socket writes it saved (bench:api profiles).
     */
    enableAutoPipelining: false,
    connectTimeout: commandTimeoutMs,
    // Keep trying in the background, at most every 2 s, so service resumes when Redis does.
    retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
    ...REDIS_CLOSE_PROMPTLY,
  };
}
