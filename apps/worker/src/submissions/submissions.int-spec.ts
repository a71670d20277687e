import { createPublishedForm, createTestDatabase, queryOne, type TestDatabase } from '@formscale/db/testing';
import type { Queue } from 'bullmq';
import { enqueueSubmissions, REDIS_URL, submissionJob, submissionQueue, testQueuePrefix } from '@formscale/queue/testing';
import { waitUntil } from '../testing/fixtures';
import { startWorkerProcess, type WorkerProcess } from '../testing/worker-process';

/*
 * The worker as a process against the real Redis and PostgreSQL. Jobs are added
 * straight to the queue with the contract's schema and options, as the forms
 * API adds them (the API is built on another branch).
 */
const SUBMISSIONS = 10_000;
/** Correctness bound for draining 10,000 jobs on a busy 2-core machine (plus 30 s of lock expiry after a kill). */
const DRAIN_BOUND_MS = 180_000;

describe('submission persistence (worker process)', () => {
  let db: TestDatabase;
  const queues: Queue[] = [];
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase({ label: 'worker-submissions', replicaUrls: [] });
  });
  afterAll(async () => {
    for (const worker of workers) worker.kill('SIGKILL');
    await Promise.all(workers.map((worker) => worker.exited));
    for (const queue of queues) {
      await queue.obliterate({ force: true });
      await queue.close();
    }
    await db?.drop();
  });

  function workerEnv(prefix: string): Record<string, string> {
    return {
      DATABASE_URL: db.url,
      DATABASE_REPLICA_URLS: '',
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      // info: the SIGTERM test reads the drain lines; batches log at debug, so this stays small.
      LOG_LEVEL: 'info',
    };
  }

  async function start(prefix: string): Promise<WorkerProcess> {
    const worker = await startWorkerProcess(workerEnv(prefix));
    workers.push(worker);
    return worker;
  }

  async function counts(formId: string): Promise<{ rows: number; distinct: number; stats: number }> {
    return queryOne(
      db.url,
      `SELECT (SELECT count(*)::int FROM submissions WHERE form_id = $1) AS rows,
              (SELECT count(DISTINCT id)::int FROM submissions WHERE form_id = $1) AS distinct,
              (SELECT coalesce(max(submission_count), 0)::int FROM form_stats WHERE form_id = $1) AS stats`,
      [formId],
    );
  }

  async function queueSettled(queue: Queue): Promise<boolean> {
    const jobCounts = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'failed');
    return Object.values(jobCounts).every((count) => count === 0);
  }

  it('stores 10,000 queued submissions as exactly 10,000 rows, counted once in form_stats', async () => {
    const prefix = testQueuePrefix('persist');
    const queue = submissionQueue(prefix);
    queues.push(queue);
    const formId = await createPublishedForm(db.url);
    const jobs = Array.from({ length: SUBMISSIONS }, (_, index) => submissionJob(formId, index));
    await enqueueSubmissions(queue, jobs);
    // The same submissions again (a producer's retry under the same ids): BullMQ keeps one job per id.
    await enqueueSubmissions(queue, jobs.slice(0, 100));

    await start(prefix);
    await waitUntil(
      async () => (await counts(formId)).rows >= SUBMISSIONS && (await queueSettled(queue)),
      DRAIN_BOUND_MS,
      async () => JSON.stringify({ ...(await counts(formId)), queue: await queue.getJobCounts() }),
    );
    expect(await counts(formId)).toEqual({ rows: SUBMISSIONS, distinct: SUBMISSIONS, stats: SUBMISSIONS });
    expect(await queue.getJobCounts('failed')).toEqual({ failed: 0 });
  });

  it('after kill -9 mid-batch and a restart, still exactly 10,000 rows and a count of 10,000', async () => {
    const prefix = testQueuePrefix('kill9');
    const queue = submissionQueue(prefix);
    queues.push(queue);
    const formId = await createPublishedForm(db.url);
    await enqueueSubmissions(queue, Array.from({ length: SUBMISSIONS }, (_, index) => submissionJob(formId, index)));

    const first = await start(prefix);
    await waitUntil(async () => (await counts(formId)).rows >= 1_000, DRAIN_BOUND_MS, async () => JSON.stringify(await counts(formId)));
    first.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    const atKill = await counts(formId);
    expect(atKill.rows).toBeLessThan(SUBMISSIONS);
    // The jobs it held are still active under its (now orphaned) locks.
    expect((await queue.getJobCounts('active')).active).toBeGreaterThan(0);

    await start(prefix);
    await waitUntil(
      async () => (await counts(formId)).rows >= SUBMISSIONS && (await queueSettled(queue)),
      DRAIN_BOUND_MS,
      async () => JSON.stringify({ ...(await counts(formId)), queue: await queue.getJobCounts() }),
    );
    expect(await counts(formId)).toEqual({ rows: SUBMISSIONS, distinct: SUBMISSIONS, stats: SUBMISSIONS });
    expect(await queue.getJobCounts('failed')).toEqual({ failed: 0 });
  });

  it('on SIGTERM mid-batch commits what it holds, exits within the drain timeout, and leaves no job active', async () => {
    const prefix = testQueuePrefix('sigterm');
    const queue = submissionQueue(prefix);
    queues.push(queue);
    const formId = await createPublishedForm(db.url);
    await enqueueSubmissions(queue, Array.from({ length: SUBMISSIONS }, (_, index) => submissionJob(formId, index)));
    const drainTimeoutMs = 15_000;
    const worker = await startWorkerProcess({ ...workerEnv(prefix), WORKER_DRAIN_TIMEOUT_MS: String(drainTimeoutMs) });
    workers.push(worker);
    await waitUntil(async () => (await counts(formId)).rows >= 1_000, DRAIN_BOUND_MS, async () => JSON.stringify(await counts(formId)));

    const signalled = Date.now();
    worker.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    // The drain bound plus process exit; a worker that ignored the timeout would hang here far longer.
    expect(Date.now() - signalled).toBeLessThan(drainTimeoutMs + 5_000);
    expect(worker.output.join('\n')).toMatch(/"msg":"drained"/);
    // Nothing was left holding a lock: every job it took was completed, and each completed job has its row.
    const after = await queue.getJobCounts('active', 'completed', 'failed');
    expect(after).toEqual({ active: 0, completed: (await counts(formId)).rows, failed: 0 });

    await start(prefix);
    await waitUntil(
      async () => (await counts(formId)).rows >= SUBMISSIONS && (await queueSettled(queue)),
      DRAIN_BOUND_MS,
      async () => JSON.stringify({ ...(await counts(formId)), queue: await queue.getJobCounts() }),
    );
    expect(await counts(formId)).toEqual({ rows: SUBMISSIONS, distinct: SUBMISSIONS, stats: SUBMISSIONS });
  });
});
