import { InjectQueue, OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Logger } from '@nestjs/common';
import {
  DELIVER_WEBHOOK_JOB,
  PERSIST_SUBMISSION_JOB,
  SUBMISSIONS_QUEUE,
  WEBHOOKS_QUEUE,
  submissionJobSchema,
  webhookJobId,
  type SubmissionJob,
  type WebhookJob,
} from '@formscale/contracts';
import { isConnectionError } from '@formscale/db';
import { METRICS_REGISTRY } from '@formscale/observability';
import { queueErrorListener } from '@formscale/queue';
import { Job, Queue, UnrecoverableError } from 'bullmq';
import { Counter, Histogram, type Registry } from 'prom-client';
import { z } from 'zod';
import { CacheInvalidationPublisher } from '../cache/cache-invalidation.publisher';
import { DatabaseService } from '../database.service';
import { dispatch, type HandlerRegistration } from '../jobs/job-handlers';
import { webhookJobOptions } from '../webhooks/webhook-job';
import { WORKER_CONFIG, type WorkerConfig } from '../worker-config';
import { MicroBatcher } from './micro-batcher';
import { persistIsolatingBadRows, type PersistOutcome } from './persist-submissions';

/**
 * Turns submission jobs into rows. Each job's process() call hands its payload
 * to the batcher and resolves when the batch holding it has committed, so with
 * concurrency C up to C jobs wait together and are written in batches of at
 * most WORKER_BATCH_SIZE. BullMQ keeps renewing the lock of every waiting job,
 * so a long wait (a database that is down) does not make them stall.
 * Worker options come from config in WorkerLifecycle (autorun: false).
 */
@Processor(SUBMISSIONS_QUEUE, { autorun: false })
export class SubmissionProcessor extends WorkerHost {
  private readonly logger = new Logger('submissions');
  private readonly reportError = queueErrorListener(SUBMISSIONS_QUEUE, (fields) => this.logger.error(fields));
  readonly batcher: MicroBatcher<SubmissionJob, PersistOutcome>;
  readonly registration: HandlerRegistration = {
    queue: SUBMISSIONS_QUEUE,
    processor: SubmissionProcessor.name,
    handlers: { [PERSIST_SUBMISSION_JOB]: (job) => this.persist(job) },
  };
  private readonly outcomes: Counter<'outcome'>;
  private readonly batchSizes: Histogram;

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    private readonly db: DatabaseService,
    private readonly cache: CacheInvalidationPublisher,
    @InjectQueue(WEBHOOKS_QUEUE) private readonly webhooks: Queue,
    @Inject(METRICS_REGISTRY) registry: Registry,
  ) {
    super();
    this.outcomes = new Counter({
      name: 'worker_submissions_total',
      help: 'Submission jobs handled, by outcome (stored, duplicate, idempotent-replay, rejected, invalid).',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.batchSizes = new Histogram({
      name: 'worker_submission_batch_size',
      help: 'Submissions per INSERT.',
      buckets: [1, 5, 10, 25, 50, 100, 200, 500, 1000, 2000, 5000],
      registers: [registry],
    });
    this.batcher = new MicroBatcher({
      maxItems: config.batchSize,
      maxWaitMs: config.batchWaitMs,
      write: (items) => this.writeBatch(items),
      isTransient: isConnectionError,
      onTransientFailure: (error, items, retryInMs) =>
        this.logger.warn({ msg: 'database unavailable, batch kept and retried', jobs: items, retryInMs, err: String(error) }),
    });
  }

  /** Attached by @nestjs/bullmq as it creates the worker, before its connection can fail. */
  @OnWorkerEvent('error')
  onError(error: Error): void {
    this.reportError(error);
  }

  process(job: Job): Promise<unknown> {
    return dispatch(this.registration.handlers, job);
  }

  private async persist(job: Job): Promise<{ status: PersistOutcome['status'] }> {
    const parsed = submissionJobSchema.safeParse(job.data);
    if (!parsed.success) {
      this.outcomes.inc({ outcome: 'invalid' });
      throw new UnrecoverableError(
        `submission job ${job.id} does not match submissionJobSchema (${z.prettifyError(parsed.error).replace(/\n/g, '; ')}); ` +
          'fix the producer, then replay the job with corrected data',
      );
    }
    if (parsed.data.submissionId !== job.id) {
      this.outcomes.inc({ outcome: 'invalid' });
      throw new UnrecoverableError(
        `submission job ${job.id} carries submissionId ${parsed.data.submissionId}; add submission jobs with jobId = submissionId so retries stay idempotent`,
      );
    }
    const outcome = await this.batcher.add(parsed.data);
    if (outcome.status === 'rejected') {
      throw new UnrecoverableError(`the database refused submission ${job.id}: ${outcome.reason}`);
    }
    return { status: outcome.status };
  }

  /** Commit first; then queue the webhooks, so a job completes only when both are durable. */
  private async writeBatch(items: readonly SubmissionJob[]): Promise<readonly PersistOutcome[]> {
    const started = performance.now();
    const result = await persistIsolatingBadRows((query) => this.db.execute(query), items);
    this.batchSizes.observe(items.length);
    this.countOutcomes(result.outcomes);
    const webhookJobs = items.flatMap((item, index) => {
      const outcome = result.outcomes[index];
      if (outcome === undefined || outcome.status === 'rejected') return [];
      return outcome.webhookEndpointIds.map((endpointId) => {
        const data: WebhookJob = {
          endpointId,
          submissionId: item.submissionId,
          formId: item.formId,
          occurredAt: item.receivedAt,
        };
        return { name: DELIVER_WEBHOOK_JOB, data, opts: { ...webhookJobOptions(this.config), jobId: webhookJobId(data) } };
      });
    });
    if (webhookJobs.length > 0) await this.webhooks.addBulk(webhookJobs);
    this.cache.publishFormsChanged(result.changedFormIds);
    this.logger.debug({ msg: 'batch persisted', jobs: items.length, webhooks: webhookJobs.length, ms: Math.round(performance.now() - started) });
    return result.outcomes;
  }

  /** Once per outcome and batch: a labelled inc() looks its labels up on every call. */
  private countOutcomes(outcomes: readonly PersistOutcome[]): void {
    const counts = new Map<PersistOutcome['status'], number>();
    for (const { status } of outcomes) counts.set(status, (counts.get(status) ?? 0) + 1);
    for (const [outcome, count] of counts) this.outcomes.inc({ outcome }, count);
  }
}
