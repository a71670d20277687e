import { randomBytes, randomUUID } from 'node:crypto';
import { PERSIST_SUBMISSION_JOB, SUBMISSION_JOB_OPTIONS, SUBMISSIONS_QUEUE, type SubmissionJob } from '@formscale/contracts';
import { Queue } from 'bullmq';
import { Client } from 'pg';

/*
 * The least of the worker's test fixtures (apps/worker/src/testing/fixtures.ts)
 * that the scaler's load test needs: apps may not import one another, and
 * libs/db/testing knows nothing of queues or job contracts.
 */

export const REDIS_URL = process.env['REDIS_URL'] || 'redis://127.0.0.1:6379';

/** A queue prefix of one test file's own: a Redis Cluster hash tag, unique per run. */
export function testQueuePrefix(label: string): string {
  return `{fstest-${label}-${randomBytes(4).toString('hex')}}`;
}

export function submissionQueue(prefix: string): Queue {
  return new Queue(SUBMISSIONS_QUEUE, { connection: { url: REDIS_URL }, prefix });
}

/** A published form with version 1, ready to take submissions. Returns its id. */
export async function createPublishedForm(databaseUrl: string): Promise<string> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const formId = randomUUID();
    await client.query(`INSERT INTO forms (id, slug, title, status) VALUES ($1, $2, 'Test form', 'published')`, [formId, `f-${formId}`]);
    await client.query(`INSERT INTO form_versions (form_id, version, fields, published_at) VALUES ($1, 1, '[]', now())`, [formId]);
    await client.query(`UPDATE forms SET published_version = 1 WHERE id = $1`, [formId]);
    return formId;
  } finally {
    await client.end();
  }
}

/** `count` valid submissions to the form, numbered from `first`. */
export function submissionJobs(formId: string, first: number, count: number): SubmissionJob[] {
  return Array.from({ length: count }, (_, offset) => {
    const index = first + offset;
    return {
      submissionId: randomUUID(),
      formId,
      formVersion: 1,
      data: { email: `person${index}@example.com`, message: `submission number ${index}` },
      idempotencyKey: null,
      receivedAt: new Date().toISOString(),
      client: { ip: '127.0.0.1', userAgent: 'jest', requestId: `r-${index}` },
    };
  });
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
