import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { SUBMISSION_JOB_OPTIONS, SUBMISSIONS_QUEUE, type SubmissionJob } from '@formscale/contracts';
import { failFastRedisOptions } from '../http/redis-options';
import { RedisServerProcess } from '@formscale/observability/testing';
import { QueueUnavailableError, SubmissionQueue } from './submission-queue';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

function job(name: string): SubmissionJob {
  return {
    submissionId: randomUUID(),
    formId: randomUUID(),
    formVersion: 1,
    data: { name },
    idempotencyKey: null,
    receivedAt: new Date().toISOString(),
    client: { ip: '127.0.0.1', userAgent: null, requestId: null },
  };
}

/** A queue on a fail-fast connection of its own, as the API's (see app.module). */
async function queueOn(redisUrl: string): Promise<{ queue: Queue; redis: Redis }> {
  const redis = new Redis(failFastRedisOptions(redisUrl, 1_000));
  await once(redis, 'ready');
  const queue = new Queue(SUBMISSIONS_QUEUE, { connection: redis, prefix: `{api-test-jobs-${randomBytes(4).toString('hex')}}` });
  return { queue, redis };
}

describe('SubmissionQueue (real Redis, BullMQ)', () => {
  const opened: Array<{ queue: Queue; redis: Redis }> = [];
  // A redis-server of the test's own, to pause and stop; the shared one is never touched.
  let own: RedisServerProcess | undefined;

  async function open(redisUrl = REDIS_URL) {
    const opening = await queueOn(redisUrl);
    opened.push(opening);
    return opening;
  }

  afterAll(async () => {
    await own?.shutdown();
    for (const { queue, redis } of opened) {
      if (redis.status === 'ready') await queue.obliterate({ force: true });
      await queue.close();
      if (redis.status === 'ready') await redis.quit();
      else redis.disconnect();
    }
  });

  it('stores every job of a burst under its submission id, with the retry policy', async () => {
    const { queue } = await open();
    const jobs = Array.from({ length: 30 }, (_, i) => job(`burst-${i}`));
    const submissions = new SubmissionQueue(queue, 5_000);
    await Promise.all(jobs.map((each) => submissions.add(each)));
    const stored = await Promise.all(jobs.map((each) => queue.getJob(each.submissionId)));
    expect(stored.map((entry) => entry?.data)).toEqual(jobs);
    expect(stored.map((entry) => entry?.opts.attempts)).toEqual(Array(30).fill(SUBMISSION_JOB_OPTIONS.attempts));
  });

  it('stores a submission once, however often it is added', async () => {
    const { queue } = await open();
    const submissions = new SubmissionQueue(queue, 5_000);
    const once = job('once');
    await Promise.all([submissions.add(once), submissions.add(once)]);
    await submissions.add(once);
    expect(await queue.getJobCounts('waiting')).toEqual({ waiting: 1 });
  });

  it('fails the adds Redis does not confirm within the timeout', async () => {
    own = await RedisServerProcess.start();
    const { queue } = await open(own.url);
    const submissions = new SubmissionQueue(queue, 300);
    const operator = new Redis(own.url);
    await operator.call('CLIENT', 'PAUSE', '2000', 'WRITE');
    await operator.quit();
    await expect(submissions.add(job('late'))).rejects.toThrow(/did not store the job within 300 ms/);
  });

  it('fails every add of a batch with QueueUnavailableError when Redis is gone', async () => {
    own ??= await RedisServerProcess.start();
    const { queue } = await open(own.url);
    const submissions = new SubmissionQueue(queue, 5_000);
    await own.shutdown();
    const outcomes = await Promise.allSettled([submissions.add(job('a')), submissions.add(job('b'))]);
    expect(outcomes.map((outcome) => outcome.status === 'rejected' && outcome.reason instanceof QueueUnavailableError)).toEqual([true, true]);
  });
});
