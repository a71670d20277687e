import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PERSIST_SUBMISSION_JOB, SUBMISSION_JOB_OPTIONS } from '@formscale/contracts';
import { createPublishedForm, createTestDatabase, queryOne, type TestDatabase } from '@formscale/db/testing';
import { inspectDeadLetter, listDeadLetters, purgeDeadLetters, replayDeadLetter } from '@formscale/queue';
import type { Queue } from 'bullmq';
import { REDIS_URL, submissionJob, submissionQueue, testQueuePrefix } from '@formscale/queue/testing';
import { waitUntil } from '../testing/fixtures';
import { startWorkerProcess, type WorkerProcess } from '../testing/worker-process';

const BOUND_MS = 60_000;
const ROOT = join(__dirname, '../../../..');

/** `npm run dead-letters -- <args>` as a user runs it; stdout parsed as JSON. */
async function deadLettersCli(prefix: string, args: string[]): Promise<unknown> {
  const { stdout } = await promisify(execFile)('npm', ['run', '--silent', 'dead-letters', '--', ...args], {
    cwd: ROOT,
    env: { ...process.env, REDIS_URL, QUEUE_PREFIX: prefix, LOG_LEVEL: 'silent' },
  });
  return JSON.parse(stdout);
}

describe('poison jobs and dead letters (worker process)', () => {
  let db: TestDatabase;
  let queue: Queue;
  let worker: WorkerProcess;
  let prefix: string;

  beforeAll(async () => {
    db = await createTestDatabase({ label: 'worker-dead-letters', replicaUrls: [] });
    prefix = testQueuePrefix('dead');
    queue = submissionQueue(prefix);
    worker = await startWorkerProcess({ DATABASE_URL: db.url, DATABASE_REPLICA_URLS: '', REDIS_URL, QUEUE_PREFIX: prefix, LOG_LEVEL: 'warn' });
  });
  afterAll(async () => {
    worker?.kill('SIGKILL');
    await worker?.exited;
    await queue?.obliterate({ force: true });
    await queue?.close();
    await db?.drop();
  });

  const rows = async (id: string) => (await queryOne<{ n: number }>(db.url, 'SELECT count(*)::int AS n FROM submissions WHERE id = $1', [id])).n;

  it('fails a payload that breaks the schema at once, without retries', async () => {
    const id = randomUUID();
    await queue.add(PERSIST_SUBMISSION_JOB, { submissionId: id, formId: 'not-a-uuid' }, { ...SUBMISSION_JOB_OPTIONS, jobId: id });
    await waitUntil(async () => (await inspectDeadLetter(queue, id)) !== undefined, BOUND_MS, () => 'job never failed');
    const letter = await inspectDeadLetter(queue, id);
    expect(letter?.attemptsMade).toBe(1);
    expect(letter?.failedReason).toMatch(/does not match submissionJobSchema/);
  });

  it('dead-letters a submission whose form version is missing at once; replay after the fix stores it once', async () => {
    const formId = await createPublishedForm(db.url);
    const good = submissionJob(formId, 1);
    const poison = { ...submissionJob(formId, 2), formVersion: 2 };
    for (const job of [good, poison]) {
      await queue.add(PERSIST_SUBMISSION_JOB, job, { ...SUBMISSION_JOB_OPTIONS, jobId: job.submissionId });
    }
    await waitUntil(async () => (await inspectDeadLetter(queue, poison.submissionId)) !== undefined, BOUND_MS, () => 'poison job never failed');
    expect((await inspectDeadLetter(queue, poison.submissionId))?.attemptsMade).toBe(1);
    expect((await listDeadLetters(queue)).items.map((letter) => letter.id)).toContain(poison.submissionId);
    // The npm script shows the same dead letter.
    expect(await deadLettersCli(prefix, ['show', poison.submissionId])).toMatchObject({ id: poison.submissionId, attemptsMade: 1, data: poison });
    // Its batch neighbour was stored all the same.
    await waitUntil(async () => (await rows(good.submissionId)) === 1, BOUND_MS, () => 'good job not stored');
    expect(await rows(poison.submissionId)).toBe(0);

    await queryOne(db.url, `INSERT INTO form_versions (form_id, version, fields, published_at) VALUES ($1, 2, '[]', now())`, [formId]);
    await replayDeadLetter(queue, poison.submissionId);
    await replayDeadLetter(queue, poison.submissionId).catch(() => undefined);
    await waitUntil(async () => (await queue.getJobState(poison.submissionId)) === 'completed', BOUND_MS, () => 'replay not finished');
    expect(await rows(poison.submissionId)).toBe(1);
    expect(await inspectDeadLetter(queue, poison.submissionId)).toBeUndefined();
    const stats = await queryOne<{ n: number }>(db.url, 'SELECT submission_count::int AS n FROM form_stats WHERE form_id = $1', [formId]);
    expect(stats.n).toBe(2);
  });

  it('purges the dead letters, from the npm script too', async () => {
    expect(await deadLettersCli(prefix, ['list'])).toMatchObject({ total: 1, items: [{ data: { formId: 'not-a-uuid' } }] });
    expect(await deadLettersCli(prefix, ['purge'])).toEqual({ purged: 1, queue: 'submissions' });
    expect(await listDeadLetters(queue)).toMatchObject({ items: [], total: 0 });
    expect(await purgeDeadLetters(queue)).toBe(0);
  });
});
