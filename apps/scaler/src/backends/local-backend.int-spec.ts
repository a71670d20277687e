import { nodeFlagsFor } from '@formscale/config';
import { createPublishedForm, createTestDatabase, type TestDatabase } from '@formscale/db/testing';
import { closedPort } from '@formscale/observability/testing';
import { QueueEvents, type Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { enqueueSubmissions, REDIS_URL, submissionJobs, submissionQueue, testQueuePrefix } from '@formscale/queue/testing';
import { LocalBackend, type LocalBackendOptions } from './local-backend';

/*
 * The local backend scaling the real worker 1 -> 3 -> 1 while it drains a queue
 * of submissions: the process count follows the replica count, and the scale-down
 * (SIGTERM, the worker drains) loses no job and leaves none stalled.
 */
const ROOT = join(__dirname, '../../../..');
type LocalEvent = Parameters<NonNullable<LocalBackendOptions['onEvent']>>[0];

/** Jobs queued before the scale-up, so it happens under load. */
const FIRST_BATCH = 5_000;
/**
 * Jobs a producer keeps queuing, CHUNK at a time, from before the scale-down until it is done (at least
 * SECOND_BATCH): three workers drain about as fast as one producer queues, so a fixed batch could be gone
 * before SIGTERM; a running producer keeps jobs arriving through the whole drain, however fast the machine.
 */
const SECOND_BATCH = 5_000;
const CHUNK = 500;
/** Correctness bound for draining all of them on a busy 2-core machine with processes starting and stopping. */
const DRAIN_BOUND_MS = 180_000;
/** Longest a worker may take to answer /health/live after its start: a cold start on a busy machine. */
const LIVE_BOUND_MS = 60_000;

async function live(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/health/live`)).status === 200;
  } catch {
    return false;
  }
}

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(what: () => Promise<string> | string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${await what()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('local backend scaling the real worker under queue load', () => {
  const events: LocalEvent[] = [];
  const stalled: string[] = [];
  const failed: string[] = [];
  let ports: number[] = [];
  let db: TestDatabase;
  let prefix: string;
  let queue: Queue;
  let queueEvents: QueueEvents;
  let formId: string;
  let backend: LocalBackend | undefined;
  // Ends the producer if the test fails before its scale-down (afterAll), so Jest is not held open.
  let producing = true;
  let producer: Promise<void> = Promise.resolve();

  beforeAll(async () => {
    db = await createTestDatabase({ label: 'scaler-local-backend', replicaUrls: [] });
    prefix = testQueuePrefix('scaler-local');
    queue = submissionQueue(prefix);
    queueEvents = new QueueEvents(queue.name, { connection: { url: REDIS_URL }, prefix });
    // A job whose lock expired (its worker died holding it) is reported here; a clean drain reports none.
    queueEvents.on('stalled', ({ jobId }) => stalled.push(jobId));
    queueEvents.on('failed', ({ jobId, failedReason }) => failed.push(`${jobId}: ${failedReason}`));
    await queueEvents.waitUntilReady();
    formId = await createPublishedForm(db.url);
    ports = [await closedPort(), await closedPort(), await closedPort()];
    backend = new LocalBackend({
      root: ROOT,
      env: {
        PATH: process.env['PATH'] ?? '',
        LOG_LEVEL: 'silent',
        DATABASE_URL: db.url,
        DATABASE_REPLICA_URLS: '',
        REDIS_URL,
        QUEUE_PREFIX: prefix,
        EVENTS_PREFIX: `test-local-${randomUUID().slice(0, 8)}:`,
      },
      portFor: (_app, index) => ports[index] ?? 0,
      onEvent: (event) => events.push(event),
    });
  });

  afterAll(async () => {
    producing = false;
    await producer.catch(() => undefined);
    await backend?.close();
    await queueEvents?.close();
    if (queue !== undefined) {
      await queue.close();
      await deleteKeys(`${prefix}*`);
    }
    await db?.drop();
  });

  async function deleteKeys(pattern: string): Promise<void> {
    const redis = new Redis(REDIS_URL);
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1_000);
        if (keys.length > 0) await redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
  }

  async function rows(): Promise<{ rows: number; distinct: number }> {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      const result = await client.query(
        'SELECT count(*)::int AS rows, count(DISTINCT id)::int AS distinct FROM submissions WHERE form_id = $1',
        [formId],
      );
      return result.rows[0] as { rows: number; distinct: number };
    } finally {
      await client.end();
    }
  }

  async function pending(): Promise<number> {
    const counts = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized');
    return Object.values(counts).reduce((sum, count) => sum + count, 0);
  }

  it('follows 1 -> 3 -> 1 with worker processes, and the SIGTERM drain loses no job', async () => {
    const local = backend as LocalBackend;
    await enqueueSubmissions(queue, submissionJobs(formId, 0, FIRST_BATCH));

    await local.scaleTo('worker', 1);
    expect(await local.currentReplicas('worker')).toBe(1);
    await until(() => 'worker 1 live', () => live(ports[0] ?? 0), LIVE_BOUND_MS);
    // Scale up once the first worker is busy with the queue, not before.
    await until(async () => `rows from worker 1: ${JSON.stringify(await rows())}`, async () => (await rows()).rows > 0, DRAIN_BOUND_MS);

    await local.scaleTo('worker', 3);
    expect(local.running('worker').map((instance) => instance.id)).toEqual(['worker-local-1', 'worker-local-2', 'worker-local-3']);
    await until(() => 'workers 2 and 3 live', async () => (await live(ports[1] ?? 0)) && (await live(ports[2] ?? 0)), LIVE_BOUND_MS);
    const three = local.running('worker').map((instance) => instance.pid);
    expect(new Set(three).size).toBe(3);
    expect(three.every(alive)).toBe(true);
    // Started as the deployments start it: with libs/config's Node flags for the worker.
    for (const pid of three) {
      expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')).toEqual(expect.arrayContaining([...nodeFlagsFor('worker')]));
    }

    let produced = FIRST_BATCH;
    let scaledDown = false;
    producer = (async () => {
      while (producing && (!scaledDown || produced < FIRST_BATCH + SECOND_BATCH)) {
        await enqueueSubmissions(queue, submissionJobs(formId, produced, CHUNK));
        produced += CHUNK;
      }
    })();
    await until(() => 'the producer to queue its first chunks', async () => produced >= FIRST_BATCH + 2 * CHUNK, DRAIN_BOUND_MS);
    const atScaleDown = { pending: await pending(), ...(await rows()), produced };

    const scaleDownStarted = Date.now();
    await local.scaleTo('worker', 1).finally(() => {
      scaledDown = true;
    });
    const scaleDown = { ms: Date.now() - scaleDownStarted, jobsQueuedMeanwhile: produced - atScaleDown.produced };
    await producer;
    expect(await local.currentReplicas('worker')).toBe(1);
    expect(local.running('worker').map((instance) => instance.id)).toEqual(['worker-local-1']);
    expect(alive(three[1])).toBe(false);
    expect(alive(three[2])).toBe(false);
    expect(await live(ports[1] ?? 0)).toBe(false);
    expect(await live(ports[0] ?? 0)).toBe(true);

    await until(
      async () => `the queue to drain: ${JSON.stringify({ ...(await rows()), queue: await queue.getJobCounts() })}`,
      async () => (await rows()).rows >= produced && (await pending()) === 0,
      DRAIN_BOUND_MS,
    );
    const final = { ...(await rows()), counts: await queue.getJobCounts('active', 'failed', 'wait', 'delayed') };
    process.stdout.write(`local backend under load: ${JSON.stringify({ atScaleDown, scaleDown, produced, final, stalled: stalled.length })}\n`);

    expect(final).toEqual({ rows: produced, distinct: produced, counts: { active: 0, failed: 0, wait: 0, delayed: 0 } });
    expect(stalled).toEqual([]);
    expect(failed).toEqual([]);
    // The newest went, on their own after SIGTERM (no SIGKILL), with a clean exit.
    const ends = events.filter((event) => event.event !== 'started').map(({ instance, event, code }) => ({ instance, event, code }));
    expect(ends).toEqual(
      expect.arrayContaining([
        { instance: 'worker-local-3', event: 'exited', code: 0 },
        { instance: 'worker-local-2', event: 'exited', code: 0 },
        { instance: 'worker-local-3', event: 'stopped', code: undefined },
        { instance: 'worker-local-2', event: 'stopped', code: undefined },
      ]),
    );
    expect(ends).toHaveLength(4);
    expect(events.some((event) => event.event === 'killed')).toBe(false);
  }, 420_000);
});
