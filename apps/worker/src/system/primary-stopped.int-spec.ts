import { createTestDatabase, queryOne, startThrowawayPrimary, type TestDatabase, type ThrowawayPrimary } from '@formscale/db/testing';
import type { Queue } from 'bullmq';
import { REDIS_URL, submissionQueue, testQueuePrefix } from '@formscale/queue/testing';
import { waitUntil } from '../testing/fixtures';
import {
  publishFormThroughApi,
  startFormsApiProcess,
  submitMany,
  submitThroughApi,
  type FormsApiProcess,
} from '../testing/forms-api-process';
import { startWorkerProcess, type WorkerProcess } from '../testing/worker-process';

/** Submissions sent while the primary is down. */
const DURING_OUTAGE = 500;
/** Correctness bound for each step on a busy 2-core machine. */
const BOUND_MS = 120_000;

/*
 * The database the apps write to goes away: this file's own PostgreSQL primary
 * (initdb on a free port, run as postgres), never the shared stack's. The
 * forms API keeps accepting (it needs only Redis and its cached form), the
 * worker keeps the jobs and waits, and when the primary is back every accepted
 * submission is stored exactly once.
 */
describe('primary stopped and started again (own PostgreSQL, forms-api and worker processes)', () => {
  let primary: ThrowawayPrimary;
  let db: TestDatabase;
  let queue: Queue;
  let api: FormsApiProcess;
  let worker: WorkerProcess;

  beforeAll(async () => {
    primary = await startThrowawayPrimary();
    db = await createTestDatabase({ label: 'primary-stopped', primaryUrl: primary.url('postgres'), replicaUrls: [] });
    const prefix = testQueuePrefix('primary');
    queue = submissionQueue(prefix);
    const env = { DATABASE_URL: db.url, DATABASE_REPLICA_URLS: '', REDIS_URL, QUEUE_PREFIX: prefix };
    // warn: the worker's "database unavailable" lines are what show it waiting.
    [api, worker] = await Promise.all([startFormsApiProcess({ ...env, LOG_LEVEL: 'error' }), startWorkerProcess({ ...env, LOG_LEVEL: 'warn' })]);
  });
  afterAll(async () => {
    for (const child of [api, worker]) child?.kill('SIGKILL');
    await Promise.all([api?.exited, worker?.exited]);
    await queue?.obliterate({ force: true });
    await queue?.close();
    // The database goes with its cluster.
    await primary?.destroy();
  });

  const count = async (formId: string) =>
    queryOne<{ rows: number; distinct: number; stats: number }>(
      db.url,
      `SELECT (SELECT count(*)::int FROM submissions WHERE form_id = $1) AS rows,
              (SELECT count(DISTINCT id)::int FROM submissions WHERE form_id = $1) AS distinct,
              (SELECT coalesce(max(submission_count), 0)::int FROM form_stats WHERE form_id = $1) AS stats`,
      [formId],
    );
  const unfinished = async () => {
    const counts = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized');
    return Object.values(counts).reduce((sum, n) => sum + n, 0);
  };

  it('accepts submissions while the primary is down, keeps them waiting, and stores each once when it is back', async () => {
    const formId = await publishFormThroughApi(api.url, 'outage');
    // One submission end to end first: the API now serves the form from its cache.
    const before = await submitThroughApi(api.url, formId, 0);
    expect(before.status).toBe(202);
    // Completed, not only stored: the job leaves the active set just after its batch commits.
    await waitUntil(async () => (await queue.getJobState(before.id ?? '')) === 'completed', BOUND_MS, async () => JSON.stringify(await count(formId)));
    expect((await count(formId)).rows).toBe(1);

    await primary.stop('fast');
    const warningsBefore = worker.output.filter((line) => line.includes('database unavailable')).length;
    const during = await submitMany(api.url, formId, DURING_OUTAGE, 16);
    expect(during.filter((answer) => answer.status === 202)).toHaveLength(DURING_OUTAGE);

    // The worker took jobs, could not write them, and keeps them: none failed, none gone.
    await waitUntil(
      async () => worker.output.filter((line) => line.includes('database unavailable')).length >= warningsBefore + 2,
      BOUND_MS,
      () => `the worker never reported the database unavailable:\n${worker.output.slice(-20).join('\n')}`,
    );
    expect(await queue.getJobCounts('failed')).toEqual({ failed: 0 });
    expect(await unfinished()).toBe(DURING_OUTAGE);
    expect((await queue.getJobCounts('active')).active).toBeGreaterThan(0);

    await primary.start();
    await waitUntil(
      async () => (await unfinished()) === 0,
      BOUND_MS,
      async () => JSON.stringify({ ...(await count(formId)), queue: await queue.getJobCounts() }),
    );
    const total = DURING_OUTAGE + 1;
    expect(await count(formId)).toEqual({ rows: total, distinct: total, stats: total });
    const ids = [before, ...during].map((answer) => answer.id ?? '');
    expect(new Set(ids).size).toBe(total);
    const matching = await queryOne<{ n: number }>(db.url, 'SELECT count(*)::int AS n FROM submissions WHERE id = ANY($1::uuid[])', [ids]);
    expect(matching.n).toBe(total);
    expect(await queue.getJobCounts('failed')).toEqual({ failed: 0 });
  });
});
