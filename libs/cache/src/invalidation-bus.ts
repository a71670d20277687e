import { type CacheInvalidateEvent, cacheInvalidateEventSchema } from '@formscale/contracts';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { CacheLogger } from './cache-options';
import type { CacheMetrics } from './cache-metrics';

/**
 * The message @nestjs/microservices' Redis transport publishes for an event
 * (ClientRedis.dispatchEvent): the channel is the pattern, the body `{pattern, data}`.
 * Using the same shape lets a Nest `@EventPattern('<prefix>cache.invalidate')` handler
 * consume the cache's messages.
 */
const nestEventSchema = z.object({ pattern: z.string(), data: cacheInvalidateEventSchema });

export function encodeInvalidation(channel: string, event: CacheInvalidateEvent): string {
  return JSON.stringify({ pattern: channel, data: event });
}

export interface InvalidationHandlers {
  /** An event from another instance. */
  onInvalidate(event: CacheInvalidateEvent): void;
  /** The subscription is (re)established: anything sent while it was down is lost. */
  onSubscribed(): void;
}

/** The receiving side of the bus, on its own connection (a subscribed connection can do nothing else). */
export class InvalidationSubscriber {
  constructor(
    private readonly subscriber: Redis,
    private readonly channel: string,
    private readonly instanceId: string,
    private readonly handlers: InvalidationHandlers,
    private readonly metrics: CacheMetrics,
    private readonly logger: CacheLogger,
  ) {}

  start(): void {
    this.subscriber.on('message', (channel: string, message: string) => this.receive(channel, message));
    // Fires on the first connect and after every reconnect; ioredis resubscribes by itself,
    // but only the confirmed SUBSCRIBE tells when messages flow again.
    this.subscriber.on('ready', () => {
      this.subscriber.subscribe(this.channel).then(
        () => this.handlers.onSubscribed(),
        (err: unknown) => this.logger.warn({ err, channel: this.channel }, 'cache bus subscribe failed'),
      );
    });
    this.subscriber.on('close', () => this.logger.warn({ channel: this.channel }, 'cache bus disconnected'));
  }

  private receive(channel: string, message: string): void {
    if (channel !== this.channel) {
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(message);
    } catch {
      body = undefined;
    }
    const parsed = nestEventSchema.safeParse(body);
    if (!parsed.success) {
      this.metrics.bus.dropped.inc();
      this.logger.warn({ channel, message: message.slice(0, 200) }, 'cache bus message dropped: not a cache.invalidate event');
      return;
    }
    if (parsed.data.data.instanceId === this.instanceId) {
      return;
    }
    this.metrics.bus.received.inc();
    this.handlers.onInvalidate(parsed.data.data);
  }
}
