import type { Queue } from 'bullmq';
import {
  PERSIST_SUBMISSION_JOB,
  SUBMISSION_JOB_OPTIONS,
  submissionJobSchema,
  type SubmissionJob,
} from '@formscale/contracts';

export class QueueUnavailableError extends Error {}

/** Bounds how long one batch holds Redis: its add scripts run back to back. */
const MAX_BATCH = 100;

interface PendingAdd {
  job: SubmissionJob;
  stored: () => void;
  failed: (error: QueueUnavailableError) => void;
}

/**
 * Adds submission jobs under their submission ids, with the retry policy the
 * worker expects; how long finished jobs stay is the worker's retention
 * setting, so it is not set per job here. A job id that is already in the
 * queue is not added twice (BullMQ), so a retried add is safe.
 *
 * The jobs of the requests handled in one turn of the event loop go to Redis
 * together, as one pipeline (BullMQ's addBulk): one socket write and one read
 * for the lot instead of one each, which is most of what an add costs the
 * process. A job waits for nothing but the end of the current turn. A batch
 * is stored or fails as a whole, within `timeoutMs`.
 */
export class SubmissionQueue {
  private pending: PendingAdd[] = [];

  constructor(
    private readonly queue: Queue,
    private readonly timeoutMs: number,
  ) {}

  /** Resolves once Redis stored the job; rejects with QueueUnavailableError otherwise. */
  add(job: SubmissionJob): Promise<void> {
    const data = submissionJobSchema.parse(job);
    if (this.pending.length === 0) setImmediate(this.flush);
    return new Promise((stored, failed) => this.pending.push({ job: data, stored, failed }));
  }

  private readonly flush = (): void => {
    const pending = this.pending;
    this.pending = [];
    for (let start = 0; start < pending.length; start += MAX_BATCH) void this.store(pending.slice(start, start + MAX_BATCH));
  };

  private async store(batch: PendingAdd[]): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new QueueUnavailableError(`Redis did not store the job within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    const jobs = batch.map(({ job }) => ({
      name: PERSIST_SUBMISSION_JOB,
      data: job,
      opts: { ...SUBMISSION_JOB_OPTIONS, jobId: job.submissionId },
    }));
    const adding = this.queue.addBulk(jobs);
    // Redis may answer after the timeout told the callers 503; an error then has no one left to tell.
    adding.catch(() => undefined);
    try {
      await Promise.race([adding, timeout]);
      for (const add of batch) add.stored();
    } catch (error) {
      const failure = error instanceof QueueUnavailableError ? error : new QueueUnavailableError(String(error), { cause: error });
      for (const add of batch) add.failed(failure);
    } finally {
      clearTimeout(timer);
    }
  }
}
