import { REDIS_CLOSE_PROMPTLY } from '@formscale/config';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { QueueFigures, WATCHED_QUEUES } from '@formscale/contracts';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';

export interface QueuePollerOptions {
  redisUrl: string;
  queuePrefix: string;
  intervalMs: number;
}

export const QUEUE_POLLER_OPTIONS = Symbol('QUEUE_POLLER_OPTIONS');

/** Reads one queue's depth per state and how long its oldest waiting job has waited. */
export async function queueFigures(queue: Queue, now = Date.now()): Promise<QueueFigures> {
  const counts = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'failed');
  // The wait list gets new jobs at its head; ascending order starts at its tail, the oldest.
  const [oldest] = await queue.getJobs(['wait'], 0, 0, true);
  return {
    waiting: counts.wait ?? 0,
    active: counts.active ?? 0,
    delayed: counts.delayed ?? 0,
    prioritized: counts.prioritized ?? 0,
    failed: counts.failed ?? 0,
    oldestAgeSeconds: oldest === undefined ? 0 : Math.max(0, (now - oldest.timestamp) / 1000),
  };
}

/** Polls every watched BullMQ queue each interval and keeps the latest figures. */
@Injectable()
export class QueuePoller implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(QueuePoller.name);
  private readonly connection: Redis;
  private readonly queues: Queue[];
  private readonly latest = new Map<string, QueueFigures>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;

  constructor(@Inject(QUEUE_POLLER_OPTIONS) private readonly options: QueuePollerOptions) {
    // Commands fail fast while Redis is away instead of piling up behind a reconnect.
    this.connection = new Redis(options.redisUrl, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      ...REDIS_CLOSE_PROMPTLY,
    });
    this.connection.on('error', () => undefined);
    this.queues = WATCHED_QUEUES.map((name) => {
      const queue = new Queue(name, { connection: this.connection, prefix: options.queuePrefix });
      // A lost connection is reported by poll() and by readiness; the event itself is no news.
      queue.on('error', () => undefined);
      return queue;
    });
  }

  figures(): Record<string, QueueFigures> {
    return Object.fromEntries(this.latest);
  }

  onApplicationBootstrap(): void {
    void this.poll();
    this.timer = setInterval(() => void this.poll(), this.options.intervalMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all(this.queues.map((queue) => queue.close()));
    this.connection.disconnect();
  }

  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      if (this.connection.status === 'wait') await this.connection.connect();
      const now = Date.now();
      for (const queue of this.queues) this.latest.set(queue.name, await queueFigures(queue, now));
    } catch (error) {
      this.logger.warn({ msg: 'queue figures not read', reason: error instanceof Error ? error.message : String(error) });
    } finally {
      this.polling = false;
    }
  }
}
