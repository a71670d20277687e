import { REDIS_CLOSE_PROMPTLY } from '@formscale/config';
import { ClientProxy, ClientProxyFactory, Transport } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import type { Redis } from 'ioredis';
import { waitAtMost } from './wait-at-most';

/** ioredis options for @nestjs/microservices' Redis transport, from a redis:// URL. */
export function redisTransportOptions(url: string) {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: parsed.port === '' ? 6379 : Number(parsed.port),
    username: parsed.username === '' ? undefined : decodeURIComponent(parsed.username),
    password: parsed.password === '' ? undefined : decodeURIComponent(parsed.password),
    db: parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : undefined,
    tls: parsed.protocol === 'rediss:' ? {} : undefined,
    // Events are fire-and-forget: keep reconnecting after a Redis restart
    // instead of going quiet for good, once a second.
    retryAttempts: Number.MAX_SAFE_INTEGER,
    retryDelay: 1000,
    ...REDIS_CLOSE_PROMPTLY,
  };
}

/** A ClientProxy on the Redis transport, for emitting events. */
export function createEventsClient(redisUrl: string): ClientProxy {
  return ClientProxyFactory.create({ transport: Transport.REDIS, options: redisTransportOptions(redisUrl) });
}

// Longer than a healthy Redis ever takes; short enough not to hold up a shutdown.
const EMIT_TIMEOUT_MS = 2000;

/** Publishes one event and waits until Redis took it, or fails after EMIT_TIMEOUT_MS. */
export async function emitEvent(client: ClientProxy, channel: string, payload: unknown): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`redis did not take ${channel} within ${EMIT_TIMEOUT_MS} ms`)), EMIT_TIMEOUT_MS);
  });
  try {
    await Promise.race([lastValueFrom(client.emit(channel, payload), { defaultValue: undefined }), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** What both ends of the Redis event transport have: ClientProxy and ServerRedis. */
export interface EventTransport {
  unwrap<T>(): T;
  close(): unknown;
}

/**
 * Closes a ClientProxy or a ServerRedis even when Redis is away: their close()
 * sends QUIT, which never completes on a connection that is reconnecting, so
 * it is bounded and the connections are then dropped.
 */
export async function closeEventTransport(transport: EventTransport): Promise<void> {
  let connections: Redis[] = [];
  try {
    connections = transport.unwrap<Redis[]>();
  } catch {
    // Never connected: nothing to close.
    return;
  }
  // A QUIT that fails (the connection already ended) is no news: the connections are dropped next anyway.
  await waitAtMost(Promise.resolve(transport.close()), EMIT_TIMEOUT_MS);
  for (const connection of connections) if (connection.status !== 'end') connection.disconnect();
}
