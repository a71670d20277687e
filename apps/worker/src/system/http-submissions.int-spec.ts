import { createTestDatabase, queryOne, type TestDatabase } from '@formscale/db/testing';
import type { Queue } from 'bullmq';
import { REDIS_URL, submissionQueue, testQueuePrefix } from '@formscale/queue/testing';
import { waitUntil } from '../testing/fixtures';
import { publishFormThroughApi, startFormsApiProcess, submitMany, type FormsApiProcess } from '../testing/forms-api-process';
import { startWorkerProcess, type WorkerProcess } from '../testing/worker-process';

const SUBMISSIONS = 10_000;
/** Requests in flight: enough to keep the API busy on two cores, few enough not to queue in the kernel. */
const CONCURRENCY = 64;
/** Correctness bound for 10,000 requests and their rows on a busy 2-core machine. */
const BOUND_MS = 180_000;

/*
 * The whole path as clients use it: the forms API and the worker as processes,
 * 10,000 POSTs over HTTP, the real Redis and PostgreSQL. Every 202 must become
 * exactly one row, and nothing else may.
 */
describe('10,000 submissions through the HTTP API (forms-api and worker processes)', () => {
  let db: TestDatabase;
  let queue: Queue;
  let api: FormsApiProcess;
  let worker: WorkerProcess;

  beforeAll(async () => {
    db = await createTestDatabase({ label: 'worker-http', replicaUrls: [] });
    const prefix = testQueuePrefix('http');
    queue = submissionQueue(prefix);
    const env = { DATABASE_URL: db.url, DATABASE_REPLICA_URLS: '', REDIS_URL, QUEUE_PREFIX: prefix, LOG_LEVEL: 'warn' };
    [api, worker] = await Promise.all([startFormsApiProcess(env), startWorkerProcess(env)]);
  });
  afterAll(async () => {
    for (const child of [api, worker]) child?.kill('SIGKILL');
    await Promise.all([api?.exited, worker?.exited]);
    await queue?.obliterate({ force: true });
    await queue?.close();
    await db?.drop();
  });

  async function stored(formId: string): Promise<{ rows: number; distinct: number; stats: number }> {
    return queryOne(
      db.url,
      `SELECT (SELECT count(*)::int FROM submissions WHERE form_id = $1) AS rows,
              (SELECT count(DISTINCT id)::int FROM submissions WHERE form_id = $1) AS distinct,
              (SELECT coalesce(max(submission_count), 0)::int FROM form_stats WHERE form_id = $1) AS stats`,
      [formId],
    );
  }

  it('answers 202 to each and stores exactly 10,000 rows, one per accepted id', async () => {
    const formId = await publishFormThroughApi(api.url, 'ten-thousand');
    const answers = await submitMany(api.url, formId, SUBMISSIONS, CONCURRENCY);
    const statuses = new Map<number, number>();
    for (const answer of answers) statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
    expect(Object.fromEntries(statuses)).toEqual({ 202: SUBMISSIONS });
    const ids = answers.map((answer) => answer.id ?? '');
    expect(new Set(ids).size).toBe(SUBMISSIONS);

    await waitUntil(
      async () => (await stored(formId)).rows >= SUBMISSIONS && Object.values(await queue.getJobCounts('wait', 'active', 'delayed')).every((n) => n === 0),
      BOUND_MS,
      async () => JSON.stringify({ ...(await stored(formId)), queue: await queue.getJobCounts() }),
    );
    expect(await stored(formId)).toEqual({ rows: SUBMISSIONS, distinct: SUBMISSIONS, stats: SUBMISSIONS });
    // The rows are the accepted submissions themselves, with the answers as sent.
    const matching = await queryOne<{ n: number; answered: number }>(
      db.url,
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE data->>'email' LIKE 'person%@example.com')::int AS answered
         FROM submissions WHERE form_id = $1 AND id = ANY($2::uuid[])`,
      [formId, ids],
    );
    expect(matching).toEqual({ n: SUBMISSIONS, answered: SUBMISSIONS });
    expect(await queue.getJobCounts('wait', 'active', 'delayed', 'failed')).toEqual({ wait: 0, active: 0, delayed: 0, failed: 0 });
  });
});
