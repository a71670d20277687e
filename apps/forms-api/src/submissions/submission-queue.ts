import type { JobsOptions, Queue } from 'bullmq';
import { PERSIST_SUBMISSION_JOB, submissionJobSchema, type SubmissionJob } from '@formscale/contracts';

/**
 * How a submission job is kept and retried. The worker's batch insert is
 * idempotent (ON CONFLICT DO NOTHING on the id), so retries are safe.
 */
export const SUBMISSION_JOB_OPTIONS: JobsOptions = {
  // 8 attempts with exponential backoff from 1 s span about 4 minutes: a database failover fits in it.
  attempts: 8,
  backoff: { type: 'exponential', delay: 1_000 },
  // Kept an hour after success so GET /api/submissions/:id can tell "stored" while replicas catch up.
  removeOnComplete: { age: 3_600, count: 100_000 },
  // Failed jobs stay: they are the dead-letter set, inspected and replayed by id.
  removeOnFail: false,
};

export class QueueUnavailableError extends Error {}

/**
 * Adds the job under the submission id, within `timeoutMs`. A job id that is
 * already in the queue is not added twice (BullMQ), so a retried add is safe.
 */
export async function addSubmissionJob(queue: Queue, job: SubmissionJob, timeoutMs: number): Promise<void> {
  const data = submissionJobSchema.parse(job);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new QueueUnavailableError(`Redis did not store the job within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([queue.add(PERSIST_SUBMISSION_JOB, data, { ...SUBMISSION_JOB_OPTIONS, jobId: data.submissionId }), timeout]);
  } catch (error) {
    throw error instanceof QueueUnavailableError ? error : new QueueUnavailableError(String(error), { cause: error });
  } finally {
    clearTimeout(timer);
  }
}
