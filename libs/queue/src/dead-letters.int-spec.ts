import { randomBytes, randomUUID } from 'node:crypto';
import { PERSIST_SUBMISSION_JOB, SUBMISSIONS_QUEUE, type SubmissionJob } from '@formscale/contracts';
import { Queue, QueueEvents, UnrecoverableError, Worker, type Job } from 'bullmq';
import {
  DeadLetterNotFoundError,
  deleteDeadLetter,
  inspectDeadLetter,
  InvalidReplayDataError,
  listDeadLetters,
  purgeDeadLetters,
  replayDeadLetter,
} from './dead-letters';

const REDIS_URL = process.env['REDIS_URL'] || 'redis://127.0.0.1:6379';
/** Correctness bound for a handful of jobs to reach a state on a busy machine. */
const BOUND_MS = 30_000;

function submission(): SubmissionJob {
  return {
    submissionId: randomUUID(),
    formId: randomUUID(),
    formVersion: 1,
    data: { email: 'a@example.com' },
    idempotencyKey: null,
    receivedAt: new Date().toISOString(),
    client: { ip: null, userAgent: null, requestId: null },
  };
}

/*
 * Real failed jobs: a BullMQ worker fails every job whose id is poisoned and
 * not yet fixed, the way the worker fails a job whose form version is missing,
 * and records every successful run by id.
 */
describe('dead letters over a real queue', () => {
  const prefix = `{fstest-queue-${randomBytes(4).toString('hex')}}`;
  const connection = { url: REDIS_URL };
  let queue: Queue;
  let events: QueueEvents;
  let worker: Worker;
  const poisoned = new Set<string>();
  const successes = new Map<string, unknown[]>();

  beforeAll(async () => {
    queue = new Queue(SUBMISSIONS_QUEUE, { connection, prefix });
    events = new QueueEvents(SUBMISSIONS_QUEUE, { connection, prefix });
    worker = new Worker(
      SUBMISSIONS_QUEUE,
      async (job: Job) => {
        if (poisoned.has(job.id ?? '')) throw new UnrecoverableError(`poison ${job.id}`);
        successes.set(job.id ?? '', [...(successes.get(job.id ?? '') ?? []), job.data]);
      },
      // One at a time, so jobs fail in the order they were added.
      { connection: { ...connection, maxRetriesPerRequest: null }, prefix, concurrency: 1 },
    );
    await Promise.all([events.waitUntilReady(), worker.waitUntilReady()]);
  });
  afterAll(async () => {
    await worker?.close();
    await events?.close();
    await queue?.obliterate({ force: true });
    await queue?.close();
  });

  async function addPoison(count: number): Promise<SubmissionJob[]> {
    const jobs = Array.from({ length: count }, submission);
    for (const job of jobs) {
      poisoned.add(job.submissionId);
      const added = await queue.add(PERSIST_SUBMISSION_JOB, job, { jobId: job.submissionId, attempts: 3 });
      await expect(added.waitUntilFinished(events, BOUND_MS)).rejects.toThrow(/poison/);
    }
    return jobs;
  }

  async function finished(id: string): Promise<void> {
    const job = await queue.getJob(id);
    await job?.waitUntilFinished(events, BOUND_MS).catch(() => undefined);
  }

  it('lists the dead letters newest first, a page at a time, each once', async () => {
    const jobs = await addPoison(5);
    const first = await listDeadLetters(queue, { limit: 2 });
    expect(first).toMatchObject({ total: 5, offset: 0, limit: 2, nextOffset: 2 });
    const second = await listDeadLetters(queue, { offset: 2, limit: 2 });
    const third = await listDeadLetters(queue, { offset: 4, limit: 2 });
    expect(third).toMatchObject({ total: 5, nextOffset: null });
    const ids = [first, second, third].flatMap((page) => page.items.map((letter) => letter.id));
    expect(ids).toEqual(jobs.map((job) => job.submissionId).reverse());
    await purgeDeadLetters(queue);
  });

  it('inspects one dead letter with its payload and reason, and nothing else', async () => {
    const [job] = await addPoison(1);
    const letter = await inspectDeadLetter(queue, job.submissionId);
    expect(letter).toMatchObject({
      id: job.submissionId,
      queue: SUBMISSIONS_QUEUE,
      name: PERSIST_SUBMISSION_JOB,
      // UnrecoverableError: one attempt of the three allowed.
      attemptsMade: 1,
      maxAttempts: 3,
      failedReason: `poison ${job.submissionId}`,
      data: job,
    });
    expect(Date.parse(letter?.failedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(letter?.addedAt ?? ''));
    expect(letter?.stacktrace.join('\n')).toMatch(/UnrecoverableError: poison/);

    const healthy = submission();
    await (await queue.add(PERSIST_SUBMISSION_JOB, healthy, { jobId: healthy.submissionId })).waitUntilFinished(events, BOUND_MS);
    expect(await inspectDeadLetter(queue, healthy.submissionId)).toBeUndefined();
    expect(await inspectDeadLetter(queue, randomUUID())).toBeUndefined();
    expect(await inspectDeadLetter(queue, 'not-an-id')).toBeUndefined();
    await purgeDeadLetters(queue);
  });

  it('replays under the original id once, even when asked twice at the same moment', async () => {
    const [job] = await addPoison(1);
    const id = job.submissionId;
    poisoned.delete(id);
    const results = await Promise.allSettled([replayDeadLetter(queue, id), replayDeadLetter(queue, id)]);
    expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = results.find((result) => result.status === 'rejected');
    expect(refused?.status === 'rejected' && refused.reason).toBeInstanceOf(DeadLetterNotFoundError);
    await finished(id);
    expect(await queue.getJobState(id)).toBe('completed');
    expect(successes.get(id)).toEqual([job]);
    expect(await inspectDeadLetter(queue, id)).toBeUndefined();
    await expect(replayDeadLetter(queue, id)).rejects.toBeInstanceOf(DeadLetterNotFoundError);
    await expect(replayDeadLetter(queue, randomUUID())).rejects.toThrow(/no failed job/);
  });

  it('replays with corrected data only when it passes the schema and keeps the job id', async () => {
    const [job] = await addPoison(1);
    const id = job.submissionId;
    poisoned.delete(id);
    const invalid = replayDeadLetter(queue, id, { ...job, formVersion: 0, receivedAt: 'yesterday' });
    await expect(invalid).rejects.toBeInstanceOf(InvalidReplayDataError);
    await expect(invalid).rejects.toMatchObject({
      problems: expect.arrayContaining([expect.objectContaining({ field: 'formVersion' }), expect.objectContaining({ field: 'receivedAt' })]),
    });
    await expect(replayDeadLetter(queue, id, { ...job, submissionId: randomUUID() })).rejects.toThrow(/keeps its job's identity/);
    // Neither refusal touched the dead letter.
    expect((await inspectDeadLetter(queue, id))?.data).toEqual(job);

    const corrected = { ...job, data: { email: 'fixed@example.com' } };
    await replayDeadLetter(queue, id, corrected);
    await finished(id);
    expect(successes.get(id)).toEqual([corrected]);
  });

  it('deletes one dead letter, then purges the rest', async () => {
    const [one, two, three] = await addPoison(3);
    expect(await deleteDeadLetter(queue, one.submissionId)).toBe(true);
    expect(await deleteDeadLetter(queue, one.submissionId)).toBe(false);
    expect(await queue.getJob(one.submissionId)).toBeUndefined();
    expect((await listDeadLetters(queue)).items.map((letter) => letter.id)).toEqual([three.submissionId, two.submissionId]);

    expect(await purgeDeadLetters(queue)).toBe(2);
    expect(await listDeadLetters(queue)).toMatchObject({ items: [], total: 0, nextOffset: null });
    expect(await purgeDeadLetters(queue)).toBe(0);
  });
});
