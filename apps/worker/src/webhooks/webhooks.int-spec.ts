import { createHmac, randomBytes } from 'node:crypto';
import { WEBHOOKS_QUEUE, webhookJobId, type SubmissionJob } from '@formscale/contracts';
import { createPublishedForm, createTestDatabase, queryOne, type TestDatabase } from '@formscale/db/testing';
import { inspectDeadLetter } from '@formscale/queue';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import { enqueueSubmissions, REDIS_URL, submissionJob, submissionQueue, testQueuePrefix } from '@formscale/queue/testing';
import { waitUntil } from '../testing/fixtures';
import { startWebhookReceiver, type WebhookReceiver } from '../testing/webhook-receiver';
import { startWorkerProcess, type WorkerProcess } from '../testing/worker-process';

/** Correctness bound: a delivery and its retries (backoff up to 2 s + 4 s) on a busy machine. */
const BOUND_MS = 60_000;
/** Attempts of a webhook job in these tests: two retries keep the backoff short. */
const ATTEMPTS = 3;

interface DeliveryRow {
  attempt: number;
  status: string;
  response_status: number | null;
  error: string | null;
}

/** What a receiver does, computed here independently of the worker's code. */
function expectedSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/*
 * The worker as a process, a real HTTP receiver on 127.0.0.1, real Redis and
 * PostgreSQL. A submission job goes in; the worker stores it and delivers it
 * to the form's endpoints.
 */
describe('webhook delivery (worker process, local receiver)', () => {
  let db: TestDatabase;
  let receiver: WebhookReceiver;
  const workers: WorkerProcess[] = [];
  const queues: Queue[] = [];

  beforeAll(async () => {
    [db, receiver] = await Promise.all([createTestDatabase({ label: 'worker-webhooks', replicaUrls: [] }), startWebhookReceiver()]);
  });
  afterAll(async () => {
    for (const worker of workers) worker.kill('SIGKILL');
    await Promise.all(workers.map((worker) => worker.exited));
    for (const queue of queues) {
      await queue.obliterate({ force: true });
      await queue.close();
    }
    await receiver?.close();
    await db?.drop();
  });

  /** A worker with its own queue prefix; returns the queues it serves. */
  async function startWorker(allowLoopback: boolean): Promise<{ submissions: Queue; webhooks: Queue }> {
    const prefix = testQueuePrefix(allowLoopback ? 'hooks' : 'hooks-strict');
    const submissions = submissionQueue(prefix);
    const webhooks = new Queue(WEBHOOKS_QUEUE, { connection: { url: REDIS_URL }, prefix });
    queues.push(submissions, webhooks);
    workers.push(
      await startWorkerProcess({
        DATABASE_URL: db.url,
        DATABASE_REPLICA_URLS: '',
        REDIS_URL,
        QUEUE_PREFIX: prefix,
        LOG_LEVEL: 'warn',
        WORKER_ATTEMPTS: String(ATTEMPTS),
        WEBHOOK_ALLOW_LOOPBACK: String(allowLoopback),
        WEBHOOK_ALLOW_PRIVATE: 'false',
      }),
    );
    return { submissions, webhooks };
  }

  async function addEndpoint(formId: string, url: string, secret = randomBytes(24).toString('base64url')): Promise<{ id: string; secret: string }> {
    const row = await queryOne<{ id: string }>(db.url, 'INSERT INTO webhook_endpoints (form_id, url, secret) VALUES ($1, $2, $3) RETURNING id', [
      formId,
      url,
      secret,
    ]);
    return { id: row.id, secret };
  }

  async function deliveries(endpointId: string, submissionId: string): Promise<DeliveryRow[]> {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query<DeliveryRow>(
        `SELECT attempt, status, response_status, error FROM webhook_deliveries
          WHERE endpoint_id = $1 AND submission_id = $2 ORDER BY attempt`,
        [endpointId, submissionId],
      );
      return rows;
    } finally {
      await client.end();
    }
  }

  async function jobState(webhooks: Queue, job: SubmissionJob, endpointId: string): Promise<string> {
    return webhooks.getJobState(webhookJobId({ submissionId: job.submissionId, endpointId }));
  }

  describe('with loopback allowed (as in development)', () => {
    let served: { submissions: Queue; webhooks: Queue };
    beforeAll(async () => {
      served = await startWorker(true);
    });

    it('delivers a stored submission once, signed over timestamp and body with the endpoint secret', async () => {
      const formId = await createPublishedForm(db.url);
      const endpoint = await addEndpoint(formId, receiver.url('/signed'));
      const job = submissionJob(formId, 1);
      await enqueueSubmissions(served.submissions, [job]);

      await waitUntil(async () => (await jobState(served.webhooks, job, endpoint.id)) === 'completed', BOUND_MS, () => 'webhook job not completed');
      const [request, ...more] = receiver.received('/signed');
      expect(more).toEqual([]);
      expect(request?.method).toBe('POST');
      expect(request?.headers['content-type']).toBe('application/json');
      const timestamp = String(request?.headers['x-formscale-timestamp']);
      expect(timestamp).toMatch(/^\d+$/);
      // Seconds since the epoch, close to now: what a receiver checks to refuse replays.
      expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(300);
      expect(request?.headers['x-formscale-signature']).toBe(expectedSignature(endpoint.secret, timestamp, request?.body ?? ''));
      // Any other secret, or the body changed by one byte, does not verify.
      expect(request?.headers['x-formscale-signature']).not.toBe(expectedSignature(`${endpoint.secret}x`, timestamp, request?.body ?? ''));
      expect(request?.headers['x-formscale-signature']).not.toBe(expectedSignature(endpoint.secret, timestamp, `${request?.body ?? ''} `));

      const stored = await queryOne<{ data: unknown; received_at: Date }>(db.url, 'SELECT data, received_at FROM submissions WHERE id = $1', [job.submissionId]);
      expect(JSON.parse(request?.body ?? '')).toEqual({
        event: 'submission.created',
        submissionId: job.submissionId,
        formId,
        formVersion: 1,
        data: stored.data,
        receivedAt: stored.received_at.toISOString(),
        occurredAt: job.receivedAt,
      });
      expect(await deliveries(endpoint.id, job.submissionId)).toEqual([{ attempt: 1, status: 'succeeded', response_status: 204, error: null }]);
    });

    it('retries a failing receiver with growing backoff until it succeeds, one delivery row per attempt', async () => {
      const formId = await createPublishedForm(db.url);
      const endpoint = await addEndpoint(formId, receiver.url('/flaky'));
      receiver.answer('/flaky', [500, 500, 200]);
      const job = submissionJob(formId, 2);
      await enqueueSubmissions(served.submissions, [job]);

      await waitUntil(async () => (await jobState(served.webhooks, job, endpoint.id)) === 'completed', BOUND_MS, async () =>
        JSON.stringify({ received: receiver.received('/flaky').length, rows: await deliveries(endpoint.id, job.submissionId) }),
      );
      const requests = receiver.received('/flaky');
      expect(requests).toHaveLength(3);
      for (const request of requests) {
        const timestamp = String(request.headers['x-formscale-timestamp']);
        expect(request.headers['x-formscale-signature']).toBe(expectedSignature(endpoint.secret, timestamp, request.body));
        expect(JSON.parse(request.body)).toMatchObject({ submissionId: job.submissionId, formId });
      }
      // Exponential backoff from 2 s with 50 % jitter: at least 1 s, then at least 2 s between attempts.
      // A lower bound only: it proves the retries wait, not how fast anything runs.
      const [first, second, third] = requests.map((request) => request.at);
      expect((second ?? 0) - (first ?? 0)).toBeGreaterThanOrEqual(1_000);
      expect((third ?? 0) - (second ?? 0)).toBeGreaterThanOrEqual(2_000);
      expect(await deliveries(endpoint.id, job.submissionId)).toEqual([
        { attempt: 1, status: 'failed', response_status: 500, error: 'receiver answered 500' },
        { attempt: 2, status: 'failed', response_status: 500, error: 'receiver answered 500' },
        { attempt: 3, status: 'succeeded', response_status: 200, error: null },
      ]);
    });

    it('after the last attempt leaves the delivery in the dead letters, every attempt logged', async () => {
      const formId = await createPublishedForm(db.url);
      const endpoint = await addEndpoint(formId, receiver.url('/down'));
      receiver.answer('/down', [503]);
      const job = submissionJob(formId, 3);
      await enqueueSubmissions(served.submissions, [job]);
      const jobId = webhookJobId({ submissionId: job.submissionId, endpointId: endpoint.id });

      await waitUntil(async () => (await inspectDeadLetter(served.webhooks, jobId)) !== undefined, BOUND_MS, async () =>
        JSON.stringify(await deliveries(endpoint.id, job.submissionId)),
      );
      expect(receiver.received('/down')).toHaveLength(ATTEMPTS);
      expect(await inspectDeadLetter(served.webhooks, jobId)).toMatchObject({ attemptsMade: ATTEMPTS, failedReason: expect.stringMatching(/answered 503/) });
      expect(await deliveries(endpoint.id, job.submissionId)).toEqual(
        Array.from({ length: ATTEMPTS }, (_, index) => ({ attempt: index + 1, status: 'failed', response_status: 503, error: 'receiver answered 503' })),
      );
    });
  });

  describe('with loopback and private ranges refused (as in production)', () => {
    let served: { submissions: Queue; webhooks: Queue };
    beforeAll(async () => {
      served = await startWorker(false);
    });

    it.each([
      ['a private address', 'http://10.0.0.1/hook', /10\.0\.0\.1, a private or link-local address/],
      ['the cloud metadata address', 'http://169.254.169.254/latest/meta-data/', /169\.254\.169\.254, a cloud metadata address/],
      ['a private address written as IPv4-mapped IPv6', 'http://[::ffff:10.0.0.1]/hook', /a private or link-local address/],
      ['a name that resolves to loopback', 'http://localhost:{port}/refused', /a loopback address/],
    ])('refuses %s at once, records the refusal and never sends', async (_what, template, reason) => {
      const formId = await createPublishedForm(db.url);
      const endpoint = await addEndpoint(formId, template.replace('{port}', String(receiver.port)));
      const job = submissionJob(formId, 4);
      await enqueueSubmissions(served.submissions, [job]);
      const jobId = webhookJobId({ submissionId: job.submissionId, endpointId: endpoint.id });

      await waitUntil(async () => (await inspectDeadLetter(served.webhooks, jobId)) !== undefined, BOUND_MS, () => 'webhook job did not fail');
      // No retries: a refusal cannot change by trying again.
      expect(await inspectDeadLetter(served.webhooks, jobId)).toMatchObject({ attemptsMade: 1, failedReason: expect.stringMatching(reason) });
      expect(await deliveries(endpoint.id, job.submissionId)).toEqual([
        { attempt: 1, status: 'refused', response_status: null, error: expect.stringMatching(reason) },
      ]);
      expect(receiver.received('/refused')).toEqual([]);
    });
  });
});
