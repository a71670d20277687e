import { ServerRedis } from '@nestjs/microservices';
import { closeEventTransport, redisTransportOptions } from './event-transport';
import { waitAtMost } from './wait-at-most';

/** Handles the payload of one event; validating it is the handler's job. */
export type EventHandler = (data: unknown) => void | Promise<void>;

export interface EventServerLogger {
  log(fields: object): void;
  warn(fields: object): void;
}

// As redisTransportOptions' reconnect delay: Redis coming back is noticed within a second.
const RETRY_MS = 1_000;
// Longer than a healthy Redis takes to subscribe; short enough not to hold up a shutdown.
const SUBSCRIBING_GRACE_MS = 2_000;

/**
 * Listens for events on the Redis transport with Nest's own ServerRedis, so the
 * wire format is the one ClientProxy.emit writes, and does two things
 * ServerRedis leaves to its caller:
 *
 * - ServerRedis sends its SUBSCRIBEs without awaiting them. Closed while still
 *   subscribing, its QUIT goes out ahead of them and each SUBSCRIBE then rejects
 *   with nobody listening: an unhandled rejection, which ends the process.
 *   close() lets a subscription in progress finish first (bounded).
 * - ServerRedis subscribes once, after its first connection: started while
 *   Redis is away, it would reconnect later but never subscribe. Until a
 *   subscription succeeds, a fresh ServerRedis tries again every second;
 *   once subscribed, ioredis resubscribes by itself after a reconnect.
 */
export class EventServer {
  private readonly handlers = new Map<string, EventHandler>();
  private server: ServerRedis | undefined;
  /** Settles when the current attempt has subscribed or failed. */
  private attempt: Promise<void> = Promise.resolve();
  /** A failed attempt's connections, being closed. */
  private discarding: Promise<void> = Promise.resolve();
  private retryTimer: NodeJS.Timeout | undefined;
  private failing = false;
  private closed = false;

  constructor(
    private readonly redisUrl: string,
    private readonly logger: EventServerLogger,
  ) {}

  /** Adds a handler for one channel; call before start(). */
  on(channel: string, handler: EventHandler): void {
    this.handlers.set(channel, handler);
  }

  /** Not awaited by design: a service started while Redis is away still serves, and subscribes once Redis is back. */
  start(): void {
    if (this.closed) return;
    const server = new ServerRedis(redisTransportOptions(this.redisUrl));
    for (const [channel, handler] of this.handlers) {
      // Nest does not catch what an event handler throws: it would be an unhandled rejection.
      const safe = async (data: unknown) => {
        try {
          await handler(data);
        } catch (error) {
          this.logger.warn({ msg: 'event handler failed', channel, reason: error instanceof Error ? error.message : String(error) });
        }
      };
      server.addHandler(channel, safe, true);
    }
    this.server = server;
    this.attempt = new Promise<void>((settled) => {
      server.listen((error?: unknown) => {
        settled();
        if (error === undefined) this.subscribed();
        else this.failed(server, error);
      });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    await waitAtMost(this.attempt, SUBSCRIBING_GRACE_MS);
    const server = this.server;
    this.server = undefined;
    await Promise.all([this.discarding, server === undefined ? undefined : closeEventTransport(server)]);
  }

  private subscribed(): void {
    if (this.failing) this.logger.log({ msg: 'subscribed to events again', channels: [...this.handlers.keys()] });
    this.failing = false;
  }

  private failed(server: ServerRedis, error: unknown): void {
    // Closing: close() closes this attempt's connections itself and nothing is retried.
    if (this.closed) return;
    if (!this.failing) {
      this.logger.warn({ msg: 'event subscription failed; trying again every second', channels: [...this.handlers.keys()], reason: String(error) });
    }
    this.failing = true;
    if (this.server === server) this.server = undefined;
    this.discarding = closeEventTransport(server);
    void this.discarding.then(() => {
      if (this.closed) return;
      this.retryTimer = setTimeout(() => this.start(), RETRY_MS);
      // Retries alone must not keep a process alive that has nothing else to do.
      this.retryTimer.unref();
    });
  }
}
