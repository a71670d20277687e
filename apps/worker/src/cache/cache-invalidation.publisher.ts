import { REDIS_CLOSE_PROMPTLY } from '@formscale/config';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { WORKER_CONFIG, type WorkerConfig } from '../worker-config';

/** Same value as CACHE_INVALIDATE_EVENT in libs/contracts/src/events.ts on branch cache (not merged yet). */
export const CACHE_INVALIDATE_EVENT = 'cache.invalidate';

/** Cache tag of everything read about one form's submissions and statistics. */
export function formSubmissionsTag(formId: string): string {
  return `form:${formId}:submissions`;
}

/**
 * Tells every cache instance that a form's submissions and statistics changed.
 * The message is the @nestjs/microservices Redis transport's event format
 * ({pattern, data} on the channel named by the pattern, here prefixed like the
 * cache's keys), so Nest's event handlers and libs/cache's bus both read it.
 * Fire and forget: a lost invalidation costs a stale read until the entry's TTL.
 */
@Injectable()
export class CacheInvalidationPublisher {
  private readonly logger = new Logger('cache-invalidation');
  private readonly client: Redis;
  private readonly channel: string;
  private readonly instanceId: string;

  constructor(@Inject(WORKER_CONFIG) config: WorkerConfig) {
    this.client = new Redis(config.redisUrl, {
      connectionName: 'formscale:worker:events',
      // Events are not worth queueing while Redis is away.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      lazyConnect: true,
      ...REDIS_CLOSE_PROMPTLY,
    });
    this.client.on('error', (error: Error) => this.logger.warn({ msg: 'event connection error', err: error.message }));
    this.channel = `${config.queuePrefix}${CACHE_INVALIDATE_EVENT}`;
    this.instanceId = config.instanceId || `worker-${process.pid}`;
    this.client.connect().catch(() => undefined);
  }

  publishFormsChanged(formIds: readonly string[]): void {
    if (formIds.length === 0) return;
    const message = JSON.stringify({
      pattern: this.channel,
      data: { instanceId: this.instanceId, keys: [], tags: formIds.map(formSubmissionsTag), all: false },
    });
    this.client.publish(this.channel, message).catch((error: unknown) =>
      this.logger.warn({ msg: 'cache invalidation not sent', forms: formIds.length, err: String(error) }),
    );
  }

  async close(): Promise<void> {
    if (this.client.status === 'end') return;
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
