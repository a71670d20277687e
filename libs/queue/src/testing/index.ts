import { randomBytes, randomUUID } from 'node:crypto';
import { PERSIST_SUBMISSION_JOB, SUBMISSION_JOB_OPTIONS, SUBMISSIONS_QUEUE, type SubmissionJob } from '@formscale/contracts';
import { Queue } from 'bullmq';

/** Submission queues and jobs for tests and benchmarks, made the way the forms API makes them. */

export const REDIS_URL = process.env['REDIS_URL'] || 'redis://127.0.0.1:6379';

/** A queue prefix of one test file's own: a Redis Cluster hash tag, unique per run. */
export function testQueuePrefix(label: string): string {
  return `{fstest-${label}-${randomBytes(4).toString('hex')}}`;
}

export function submissionQueue(prefix: string): Queue {
  return new Queue(SUBMISSIONS_QUEUE, { connection: { url: REDIS_URL }, prefix });
}

/** A valid submission to version 1 of the form, numbered `index`. */
export function submissionJob(formId: string, index: number): SubmissionJob {
  return {
    submissionId: randomUUID(),
    formId,
    formVersion: 1,
    data: { email: `person${index}@example.com`, message: `submission number ${index}` },
    idempotencyKey: null,
    receivedAt: new Date().toISOString(),
    client: { ip: '127.0.0.1', userAgent: 'jest', requestId: `r-${index}` },
  };
}

/** `count` valid submissions to the form, numbered from `first`. */
export function submissionJobs(formId: string, first: number, count: number): SubmissionJob[] {
  return Array.from({ length: count }, (_, offset) => submissionJob(formId, first + offset));
}

/** Adds jobs the way the API does: job id = submission id, the contract's attempts and backoff. */
export async function enqueueSubmissions(queue: Queue, jobs: readonly SubmissionJob[]): Promise<void> {
  const CHUNK = 1_000;
  for (let start = 0; start < jobs.length; start += CHUNK) {
    await queue.addBulk(
      jobs.slice(start, start + CHUNK).map((data) => ({
        name: PERSIST_SUBMISSION_JOB,
        data,
        opts: { ...SUBMISSION_JOB_OPTIONS, jobId: data.submissionId },
      })),
    );
  }
}
