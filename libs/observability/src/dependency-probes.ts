import { Redis } from 'ioredis';
import { Pool } from 'pg';

/** A named dependency that readiness asks "can you serve?". */
export interface DependencyProbe {
  readonly name: string;
  check(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

function withTimeout<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Its own small connection, so readiness reports Redis itself and not the
 * state of some busy shared client; it never queues commands while down.
 */
export function redisProbe(url: string): DependencyProbe {
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectionName: 'formscale:health',
    // No background reconnect loop: each check connects again if it must,
    // so a Redis that is away costs nothing between probes.
    retryStrategy: () => null,
  });
  // A refused connection is what check() reports; the event itself is no news.
  client.on('error', () => undefined);
  return {
    name: 'redis',
    async check(timeoutMs) {
      if (client.status === 'wait' || client.status === 'end') {
        await withTimeout(client.connect(), timeoutMs, 'redis');
      }
      const reply = await withTimeout(client.ping(), timeoutMs, 'redis');
      if (reply !== 'PONG') throw new Error(`redis answered PING with ${reply}`);
    },
    async close() {
      // disconnect() on an ended client arms ioredis' 2 s disconnectTimeout
      // timer, which would hold the process (and Jest) open for nothing.
      if (client.status !== 'end') client.disconnect();
    },
  };
}

export function postgresProbe(url: string): DependencyProbe {
  const pool = new Pool({
    connectionString: url,
    max: 1,
    idleTimeoutMillis: 30_000,
    application_name: 'formscale:health',
  });
  pool.on('error', () => undefined);
  return {
    name: 'postgres',
    async check(timeoutMs) {
      const result = await withTimeout(
        pool.query<{ ok: number }>('SELECT 1 AS ok'),
        timeoutMs,
        'postgres',
      );
      if (result.rows[0]?.ok !== 1) throw new Error('postgres answered SELECT 1 with something else');
    },
    async close() {
      await pool.end();
    },
  };
}
