import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Client } from 'pg';
import type { FormsApiConfig } from '@formscale/config';
import { PERSIST_SUBMISSION_JOB, SUBMISSION_JOB_OPTIONS, SUBMISSIONS_QUEUE, WEBHOOKS_QUEUE, type SubmissionJob } from '@formscale/contracts';
import { createTestDatabase, type TestDatabase } from '@formscale/db/testing';
import { RedisServerProcess, startAppProcess, type AppProcess } from '@formscale/observability/testing';
import { startFormsApi, type RunningFormsApi } from './http/forms-api-app';
import { admin, publishedForm, submit, testConfig } from './testing/api-test-support';

const REDIS_URL = process.env['REDIS_URL'] || 'redis://127.0.0.1:6379';
/** Correctness bound for the worker to fail or store a job on a busy machine. */
const BOUND_MS = 60_000;

interface DeadLetterBody {
  id: string;
  queue: string;
  attemptsMade: number;
  failedReason: string;
  data: Record<string, unknown>;
}
interface PageBody {
  items: DeadLetterBody[];
  total: number;
  offset: number;
  limit: number;
  nextOffset: number | null;
}

async function body<T>(response: Response, status: number): Promise<T> {
  const text = await response.text();
  if (response.status !== status) throw new Error(`expected ${status}, got ${response.status}: ${text}`);
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

async function waitUntil(check: () => Promise<boolean>, what: () => Promise<string> | string): Promise<void> {
  const deadline = Date.now() + BOUND_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${await what()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/*
 * The admin endpoints over the dead letters, against the real Redis with jobs
 * that the real worker (its built process) failed: submissions whose payload
 * or form version is wrong, a webhook whose destination is refused. A replay
 * goes back to that worker, which stores the row.
 */
describe('dead-letter admin endpoints (real Redis, PostgreSQL, worker process)', () => {
  let db: TestDatabase;
  let config: FormsApiConfig;
  let api: RunningFormsApi;
  let worker: AppProcess;
  let primary: Client;
  let submissions: Queue;

  beforeAll(async () => {
    db = await createTestDatabase({ label: 'forms-api-dead-letters', replicaUrls: [] });
    config = testConfig(db);
    [api, worker] = await Promise.all([
      startFormsApi(config),
      startAppProcess({
        app: 'worker',
        portVariable: 'WORKER_PORT',
        env: {
          DATABASE_URL: db.url,
          DATABASE_REPLICA_URLS: '',
          REDIS_URL,
          QUEUE_PREFIX: config.queuePrefix,
          LOG_LEVEL: 'error',
          WEBHOOK_ALLOW_LOOPBACK: 'false',
          WEBHOOK_ALLOW_PRIVATE: 'false',
        },
      }),
    ]);
    primary = new Client({ connectionString: db.url });
    await primary.connect();
    submissions = new Queue(SUBMISSIONS_QUEUE, { connection: { url: REDIS_URL }, prefix: config.queuePrefix });
  }, BOUND_MS);

  afterAll(async () => {
    worker?.kill('SIGKILL');
    await worker?.exited;
    for (const name of [SUBMISSIONS_QUEUE, WEBHOOKS_QUEUE]) {
      const queue = new Queue(name, { connection: { url: REDIS_URL }, prefix: config.queuePrefix });
      await queue.obliterate({ force: true });
      await queue.close();
    }
    await submissions?.close();
    await primary?.end();
    await api?.close();
    await db?.drop();
  });

  const path = (queue: string, id?: string, action?: string) =>
    ['/api/admin/dead-letters', queue, id, action].filter((part) => part !== undefined).join('/');
  const rows = async (id: string) =>
    Number((await primary.query<{ n: string }>('SELECT count(*) AS n FROM submissions WHERE id = $1', [id])).rows[0]?.n);

  function job(formId: string, change: Partial<SubmissionJob> = {}): SubmissionJob {
    const submissionId = randomUUID();
    return {
      submissionId,
      formId,
      formVersion: 1,
      data: { name: 'Ada', email: 'ada@example.com', agree: true },
      idempotencyKey: null,
      receivedAt: new Date().toISOString(),
      client: { ip: '127.0.0.1', userAgent: 'jest', requestId: null },
      ...change,
    };
  }

  /** Adds a job as a faulty producer would, and waits until the worker has failed it for good. */
  async function deadLetter(data: Record<string, unknown> & { submissionId: string }): Promise<string> {
    await submissions.add(PERSIST_SUBMISSION_JOB, data, { ...SUBMISSION_JOB_OPTIONS, jobId: data.submissionId });
    await waitUntil(
      async () => (await submissions.getJobState(data.submissionId)) === 'failed',
      async () => `job ${data.submissionId} is ${await submissions.getJobState(data.submissionId)}`,
    );
    return data.submissionId;
  }

  it('needs the admin key', async () => {
    expect((await fetch(`${api.url}${path(SUBMISSIONS_QUEUE)}`)).status).toBe(401);
    expect((await fetch(`${api.url}${path(SUBMISSIONS_QUEUE)}`, { headers: { 'x-api-key': 'not-the-admin-key-at-all' } })).status).toBe(403);
  });

  it('lists, inspects and pages through real dead letters, each once', async () => {
    const formId = await publishedForm(api.url, 'dead-list');
    // The worker fails both at once: no version 7 of the form; a payload that breaks the schema.
    const missingVersion = await deadLetter(job(formId, { formVersion: 7 }));
    const malformed = await deadLetter({ ...job(formId), formId: 'not-a-uuid' });

    const first = await body<PageBody>(await admin(api.url, 'GET', `${path(SUBMISSIONS_QUEUE)}?limit=1`), 200);
    expect(first).toMatchObject({ total: 2, offset: 0, limit: 1, nextOffset: 1 });
    const second = await body<PageBody>(await admin(api.url, 'GET', `${path(SUBMISSIONS_QUEUE)}?limit=1&offset=1`), 200);
    expect(second).toMatchObject({ total: 2, offset: 1, nextOffset: null });
    expect([...first.items, ...second.items].map((letter) => letter.id)).toEqual([malformed, missingVersion]);

    const letter = await body<DeadLetterBody>(await admin(api.url, 'GET', path(SUBMISSIONS_QUEUE, missingVersion)), 200);
    expect(letter).toMatchObject({
      id: missingVersion,
      queue: SUBMISSIONS_QUEUE,
      attemptsMade: 1,
      failedReason: expect.stringMatching(/database refused submission/),
      data: { submissionId: missingVersion, formVersion: 7 },
    });
    // Ids are case-insensitive, as UUIDs are.
    expect((await admin(api.url, 'GET', path(SUBMISSIONS_QUEUE, missingVersion.toUpperCase()))).status).toBe(200);
    expect((await admin(api.url, 'GET', path(SUBMISSIONS_QUEUE, malformed))).status).toBe(200);
  });

  it('answers 400 for a malformed queue, id or page, and 404 for an id with no dead letter', async () => {
    const unknown = randomUUID();
    for (const [method, url] of [
      ['GET', path('emails')],
      ['DELETE', path('emails')],
      ['GET', path(SUBMISSIONS_QUEUE, 'abc')],
      ['GET', path(SUBMISSIONS_QUEUE, `${unknown}_${unknown}`)],
      ['GET', path(WEBHOOKS_QUEUE, unknown)],
      ['POST', path(SUBMISSIONS_QUEUE, '1%3B%20DROP%20TABLE', 'replay')],
      ['DELETE', path(SUBMISSIONS_QUEUE, `${unknown}x`)],
      ['GET', `${path(SUBMISSIONS_QUEUE)}?limit=0`],
      ['GET', `${path(SUBMISSIONS_QUEUE)}?limit=501`],
      ['GET', `${path(SUBMISSIONS_QUEUE)}?offset=-1`],
      ['GET', `${path(SUBMISSIONS_QUEUE)}?limit=ten`],
      ['GET', `${path(SUBMISSIONS_QUEUE)}?page=2`],
    ] as const) {
      const response = await admin(api.url, method, url);
      expect({ method, url, status: response.status }).toEqual({ method, url, status: 400 });
      expect(await response.json()).toMatchObject({ statusCode: 400, message: expect.any(String) });
    }
    for (const [method, url] of [
      ['GET', path(SUBMISSIONS_QUEUE, unknown)],
      ['POST', path(SUBMISSIONS_QUEUE, unknown, 'replay')],
      ['DELETE', path(SUBMISSIONS_QUEUE, unknown)],
      ['GET', path(WEBHOOKS_QUEUE, `${unknown}_${randomUUID()}`)],
    ] as const) {
      const response = await admin(api.url, method, url);
      expect({ method, url, status: response.status }).toEqual({ method, url, status: 404 });
      expect(await response.json()).toMatchObject({ message: expect.stringMatching(/no failed job/) });
    }
  });

  it('replays a dead letter after the fix: stored once, and a second replay finds nothing to run', async () => {
    const formId = await publishedForm(api.url, 'dead-replay');
    const id = await deadLetter(job(formId, { formVersion: 2 }));
    expect(await rows(id)).toBe(0);

    // The fix: version 2 exists now.
    await primary.query(`INSERT INTO form_versions (form_id, version, fields, published_at) VALUES ($1, 2, '[]', now())`, [formId]);
    const replays = await Promise.all([1, 2].map(() => admin(api.url, 'POST', path(SUBMISSIONS_QUEUE, id, 'replay'))));
    expect(replays.map((response) => response.status).sort()).toEqual([202, 404]);
    expect(await body(replays.find((response) => response.status === 202) ?? replays[0], 202)).toEqual({
      id,
      queue: SUBMISSIONS_QUEUE,
      status: 'waiting',
    });
    await waitUntil(async () => (await submissions.getJobState(id)) === 'completed', async () => `job is ${await submissions.getJobState(id)}`);
    expect(await rows(id)).toBe(1);
    expect((await admin(api.url, 'GET', path(SUBMISSIONS_QUEUE, id))).status).toBe(404);
    expect((await admin(api.url, 'POST', path(SUBMISSIONS_QUEUE, id, 'replay'))).status).toBe(404);
    expect(await rows(id)).toBe(1);
    const stats = await primary.query<{ n: number }>('SELECT submission_count::int AS n FROM form_stats WHERE form_id = $1', [formId]);
    expect(stats.rows[0]?.n).toBe(1);
  });

  it('replays with corrected data only when it passes the schema and keeps the id; then stores it once', async () => {
    const formId = await publishedForm(api.url, 'dead-correct');
    const original = job(formId);
    const id = await deadLetter({ ...original, formId: 'not-a-uuid' });
    const replay = (data: unknown) => admin(api.url, 'POST', path(SUBMISSIONS_QUEUE, id, 'replay'), data);

    const invalid = await body<{ details: Array<{ field: string }> }>(await replay({ data: { ...original, formId: 'still-not-a-uuid' } }), 400);
    expect(invalid.details.map((detail) => detail.field)).toEqual(['formId']);
    expect((await replay({ data: { ...original, submissionId: randomUUID() } })).status).toBe(400);
    expect((await replay({ data: original, extra: true })).status).toBe(400);
    expect((await replay({ data: 'not an object' })).status).toBe(400);
    // Refused corrections leave the dead letter as it was.
    expect((await body<DeadLetterBody>(await admin(api.url, 'GET', path(SUBMISSIONS_QUEUE, id)), 200)).data).toMatchObject({ formId: 'not-a-uuid' });

    expect((await replay({ data: original })).status).toBe(202);
    await waitUntil(async () => (await rows(id)) === 1, async () => `job is ${await submissions.getJobState(id)}`);
    expect((await replay({ data: original })).status).toBe(404);
    const stored = await primary.query<{ form_id: string }>('SELECT form_id FROM submissions WHERE id = $1', [id]);
    expect(stored.rows).toEqual([{ form_id: formId }]);
  });

  it("reaches the webhooks queue's dead letters by their <submission>_<endpoint> ids, and deletes one", async () => {
    const formId = await publishedForm(api.url, 'dead-hook');
    const created = await admin(api.url, 'POST', `/api/admin/forms/${formId}/webhooks`, { url: 'http://10.0.0.1/hook' });
    const endpoint = await body<{ id: string }>(created, 201);
    const accepted = await body<{ id: string }>(await submit(api.url, formId, { name: 'Ada', email: 'ada@example.com', agree: true }), 202);
    const jobId = `${accepted.id}_${endpoint.id}`;

    await waitUntil(
      async () => (await admin(api.url, 'GET', path(WEBHOOKS_QUEUE, jobId))).status === 200,
      () => 'the refused webhook never reached the dead letters',
    );
    const letter = await body<DeadLetterBody>(await admin(api.url, 'GET', path(WEBHOOKS_QUEUE, jobId)), 200);
    expect(letter).toMatchObject({ queue: WEBHOOKS_QUEUE, attemptsMade: 1, failedReason: expect.stringMatching(/private or link-local/) });
    expect((await body<PageBody>(await admin(api.url, 'GET', path(WEBHOOKS_QUEUE)), 200)).items.map((item) => item.id)).toEqual([jobId]);

    expect((await admin(api.url, 'DELETE', path(WEBHOOKS_QUEUE, jobId))).status).toBe(204);
    expect((await admin(api.url, 'DELETE', path(WEBHOOKS_QUEUE, jobId))).status).toBe(404);
    expect(await body<PageBody>(await admin(api.url, 'GET', path(WEBHOOKS_QUEUE)), 200)).toMatchObject({ items: [], total: 0 });
  });

  it('purges every dead letter of a queue', async () => {
    const formId = await publishedForm(api.url, 'dead-purge');
    const before = (await body<PageBody>(await admin(api.url, 'GET', path(SUBMISSIONS_QUEUE)), 200)).total;
    await deadLetter(job(formId, { formVersion: 9 }));
    await deadLetter(job(formId, { formVersion: 9 }));
    expect(await body(await admin(api.url, 'DELETE', path(SUBMISSIONS_QUEUE)), 200)).toEqual({ queue: SUBMISSIONS_QUEUE, purged: before + 2 });
    expect(await body<PageBody>(await admin(api.url, 'GET', path(SUBMISSIONS_QUEUE)), 200)).toMatchObject({ items: [], total: 0, nextOffset: null });
  });

  it('documents every dead-letter endpoint in the OpenAPI document', async () => {
    const doc = await body<{ paths: Record<string, Record<string, unknown>> }>(await fetch(`${api.url}/api/docs/openapi.json`), 200);
    expect(Object.keys(doc.paths['/api/admin/dead-letters/{queue}'] ?? {}).sort()).toEqual(['delete', 'get']);
    expect(Object.keys(doc.paths['/api/admin/dead-letters/{queue}/{id}'] ?? {}).sort()).toEqual(['delete', 'get']);
    expect(Object.keys(doc.paths['/api/admin/dead-letters/{queue}/{id}/replay'] ?? {})).toEqual(['post']);
  });

  it('answers 503, not 500, while Redis is unreachable', async () => {
    const redis = await RedisServerProcess.start();
    const cut = await startFormsApi(testConfig(db, { REDIS_URL: redis.url, QUEUE_ADD_TIMEOUT_MS: '500' }));
    try {
      expect((await admin(cut.url, 'GET', path(SUBMISSIONS_QUEUE))).status).toBe(200);
      await redis.shutdown();
      const response = await admin(cut.url, 'GET', path(SUBMISSIONS_QUEUE));
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await response.json()).toMatchObject({ message: expect.stringMatching(/Redis/) });
    } finally {
      await cut.close();
      await redis.shutdown();
    }
  });
});
