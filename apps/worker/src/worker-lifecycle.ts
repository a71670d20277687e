import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { Worker } from 'bullmq';
import { CacheInvalidationPublisher } from './cache/cache-invalidation.publisher';
import { DatabaseService } from './database.service';
import { assertOneHandlerPerJob } from './jobs/job-handlers';
import { SubmissionProcessor } from './submissions/submission.processor';
import { WebhookProcessor } from './webhooks/webhook.processor';
import { WORKER_CONFIG, type WorkerConfig } from './worker-config';

/** Closing a connection after a forced close: it either goes quickly or not at all. */
const CLOSE_AFTER_FORCE_MS = 2_000;
/** How long shutdown waits to learn whether Redis answers at all. */
const REDIS_REACHABLE_MS = 1_000;

function within<T>(work: Promise<T>, ms: number): Promise<'done' | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  return Promise.race([work.then(() => 'done' as const), timeout]).finally(() => clearTimeout(timer));
}

/**
 * Starts the workers once every job name is known to have exactly one handler,
 * and stops them in order on SIGTERM: stop taking jobs, let the batches in
 * flight commit, close the workers, then the connections; all within
 * WORKER_DRAIN_TIMEOUT_MS. Past it the workers close forcefully: the jobs they
 * held keep their rows if committed, and otherwise come back through BullMQ's
 * stalled-job check once their locks lapse. (@nestjs/bullmq closes the queues
 * in its own shutdown hook, which runs after this one.)
 */
@Injectable()
export class WorkerLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('worker');

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    private readonly submissions: SubmissionProcessor,
    private readonly webhooks: WebhookProcessor,
    private readonly db: DatabaseService,
    private readonly cache: CacheInvalidationPublisher,
  ) {}

  onApplicationBootstrap(): void {
    assertOneHandlerPerJob([this.submissions.registration, this.webhooks.registration]);
    this.start(this.submissions.worker, this.config.concurrency);
    this.start(this.webhooks.worker, this.config.webhookConcurrency);
  }

  private start(worker: Worker, concurrency: number): void {
    worker.concurrency = concurrency;
    // Read by BullMQ when a job finishes: bounded retention keeps Redis memory flat under sustained load.
    Object.assign(worker.opts, {
      removeOnComplete: { age: this.config.keepCompletedSeconds, count: this.config.keepCompletedCount },
      removeOnFail: { age: this.config.keepFailedSeconds, count: this.config.keepFailedCount },
    });
    worker.on('failed', (job, error) => {
      if (job !== undefined && job.attemptsMade >= (job.opts.attempts ?? 1)) {
        this.logger.warn({ msg: 'job moved to dead letters', queue: worker.name, jobId: job.id, name: job.name, err: error.message });
      }
    });
    worker.run().catch((error: unknown) => this.logger.error({ msg: 'worker stopped', queue: worker.name, err: String(error) }));
    this.logger.log({ msg: 'worker started', queue: worker.name, concurrency });
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    const started = Date.now();
    const workers = [this.submissions.worker, this.webhooks.worker];
    this.logger.log({ msg: 'draining', signal, active: this.submissions.batcher.size, timeoutMs: this.config.drainTimeoutMs });
    // close() stops fetching at once and resolves when the active jobs have finished,
    // i.e. when the batches holding them have committed; drain() writes a partial batch now.
    // A graceful close() waits on Redis and never returns while Redis is unreachable (and
    // BullMQ caches that promise, so a later forced close would wait too): without Redis
    // no job can complete anyway, so close forcefully and let stalled-job recovery work.
    const reachable = await Promise.all(workers.map((worker) => within(worker.waitUntilReady(), REDIS_REACHABLE_MS)));
    const graceful = Promise.all([
      ...workers.map((worker, index) => worker.close(reachable[index] === 'timeout')),
      this.submissions.batcher.drain(),
    ]);
    if ((await within(graceful, this.config.drainTimeoutMs)) === 'timeout') {
      this.logger.warn({ msg: 'drain timeout passed, closing forcefully; unfinished jobs return via stalled-job recovery', ms: Date.now() - started });
      this.submissions.batcher.abandon();
      await within(Promise.allSettled(workers.map((worker) => worker.close(true))), CLOSE_AFTER_FORCE_MS);
    } else {
      this.logger.log({ msg: 'drained', ms: Date.now() - started });
    }
    await within(Promise.allSettled([this.cache.close(), this.db.stop()]), CLOSE_AFTER_FORCE_MS);
  }
}
