import type { Queue } from 'bullmq';
import {
  PERSIST_SUBMISSION_JOB,
  SUBMISSION_JOB_OPTIONS,
  submissionJobSchema,
  type SubmissionJob,
} from '@formscale/contracts';

export class QueueUnavailableError extends Error {}

/**
 * Adds the job under the submission id, within `timeoutMs`, with the retry
 * policy the worker expects; how long finished jobs stay is the worker's
 * retention setting, so it is not set per job here. A job id that is
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
