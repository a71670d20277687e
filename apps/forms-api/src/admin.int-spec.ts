import { Queue, Worker } from 'bullmq';
import { Client } from 'pg';
import { randomUUID } from 'node:crypto';
import { PERSIST_SUBMISSION_JOB, SUBMISSIONS_QUEUE } from '@formscale/contracts';
import { createTestDatabase, type TestDatabase } from '@formscale/db/testing';
import type { FormsApiConfig } from '@formscale/config';
import { startFormsApi, type RunningFormsApi } from './http/forms-api-app';
import { admin, ADMIN_KEY, CONTACT_FIELDS, publishedForm, queriesByRole, submit, testConfig } from './testing/api-test-support';

const REDIS = { host: '127.0.0.1', port: 6379 };

interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

async function json<T>(response: Response, status = 200): Promise<T> {
  const text = await response.text();
  if (response.status !== status) throw new Error(`expected ${status}, got ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

/** Follows nextCursor to the end; returns every page. `token`: the consistency token of the writes the pages must show. */
async function allPages<T>(url: string, path: string, limit: number, token?: string): Promise<Array<Page<T>>> {
  const pages: Array<Page<T>> = [];
  let cursor: string | null = '';
  const headers: Record<string, string> = token === undefined ? {} : { 'x-consistency-token': token };
  while (cursor !== null) {
    const page: Page<T> = await json<Page<T>>(await admin(url, 'GET', `${path}?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, undefined, headers));
    pages.push(page);
    cursor = page.nextCursor;
  }
  return pages;
}

async function waitForReplicas(db: TestDatabase, sql: string, expected: number): Promise<void> {
  for (const url of db.replicaUrls) {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      const deadline = Date.now() + 30_000;
      while (Number((await client.query<{ n: string }>(sql)).rows[0]?.n) !== expected) {
        if (Date.now() > deadline) throw new Error(`replica ${url} did not replay: ${sql}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await client.end();
    }
  }
}

describe('forms API admin and status happy paths (real Redis, PostgreSQL, replicas)', () => {
  let db: TestDatabase;
  let config: FormsApiConfig;
  let api: RunningFormsApi;
  let primary: Client;
  let queue: Queue;

  beforeAll(async () => {
    db = await createTestDatabase({ label: 'forms-api-admin' });
    config = testConfig(db);
    api = await startFormsApi(config);
    primary = new Client({ connectionString: db.url });
    await primary.connect();
    queue = new Queue(SUBMISSIONS_QUEUE, { connection: REDIS, prefix: config.queuePrefix });
  }, 60_000);

  afterAll(async () => {
    await queue?.obliterate({ force: true }).catch(() => undefined);
    await queue?.close();
    await primary?.end();
    await api?.close();
    await db?.drop();
  });

  it('lists forms newest first across pages, each exactly once', async () => {
    const created: string[] = [];
    let token = '';
    for (let i = 0; i < 7; i++) {
      const response = await admin(api.url, 'POST', '/api/admin/forms', { slug: `list-${i}`, title: `List ${i}`, fields: CONTACT_FIELDS });
      created.push((await json<{ id: string }>(response, 201)).id);
      token = response.headers.get('x-consistency-token') ?? '';
    }
    // The list reads a replica: the last create's token makes it one that has every form (or the primary).
    expect(token).not.toBe('');
    const pages = await allPages<{ id: string; slug: string; status: string; latestVersion: number }>(api.url, '/api/admin/forms', 3, token);
    const listed = pages.flatMap((page) => page.items).filter((form) => form.slug.startsWith('list-'));
    expect(pages.length).toBeGreaterThanOrEqual(3);
    expect(listed.map((form) => form.id)).toEqual([...created].reverse());
    expect(listed[0]).toMatchObject({ status: 'draft', latestVersion: 1 });
    expect((await admin(api.url, 'GET', '/api/admin/forms?cursor=bm90LWEtY3Vyc29y')).status).toBe(400);
  });

  it('edits a published form as a new draft version and publishes it, the public read following', async () => {
    const id = await publishedForm(api.url, 'versions');
    expect((await json<{ version: number }>(await fetch(`${api.url}/api/forms/${id}`))).version).toBe(1);
    const fields = [...CONTACT_FIELDS, { name: 'phone', type: 'text', maxLength: 30 }];

    const draft = await admin(api.url, 'PUT', `/api/admin/forms/${id}/draft`, { title: 'Versions v2', fields });
    expect(await json(draft)).toEqual({ id, draftVersion: 2 });
    expect(draft.headers.get('x-consistency-token')).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    // A second edit before publishing replaces the same draft.
    expect(await json(await admin(api.url, 'PUT', `/api/admin/forms/${id}/draft`, { fields }))).toEqual({ id, draftVersion: 2 });
    // Until it is published, the public form and submissions stay on version 1.
    expect((await submit(api.url, id, { name: 'Ada', email: 'a@b.co', agree: true, phone: '1' })).status).toBe(400);

    expect(await json(await admin(api.url, 'POST', `/api/admin/forms/${id}/publish`))).toEqual({ id, status: 'published', publishedVersion: 2 });
    const read = await json<{ version: number; title: string; fields: Array<{ name: string }> }>(await fetch(`${api.url}/api/forms/${id}`));
    expect(read).toMatchObject({ version: 2, title: 'Versions v2' });
    expect(read.fields.map((field) => field.name)).toContain('phone');
    expect((await submit(api.url, id, { name: 'Ada', email: 'a@b.co', agree: true, phone: '1' })).status).toBe(202);
    expect((await admin(api.url, 'POST', `/api/admin/forms/${id}/publish`)).status).toBe(409);
  });

  it('archives a form: reads and submissions are refused, edits too', async () => {
    const id = await publishedForm(api.url, 'to-archive');
    expect((await fetch(`${api.url}/api/forms/${id}`)).status).toBe(200);
    expect(await json(await admin(api.url, 'POST', `/api/admin/forms/${id}/archive`))).toEqual({ id, status: 'archived' });
    expect((await fetch(`${api.url}/api/forms/${id}`)).status).toBe(409);
    expect((await submit(api.url, id, { name: 'Ada', email: 'a@b.co', agree: true })).status).toBe(409);
    expect((await admin(api.url, 'PUT', `/api/admin/forms/${id}/draft`, { fields: CONTACT_FIELDS })).status).toBe(409);
  });

  it("pages through a form's stored submissions from a replica, newest first, and reports its statistics", async () => {
    const id = await publishedForm(api.url, 'listed');
    // As the worker would store them; two share a received_at, so the id breaks the tie.
    await primary.query(
      `INSERT INTO submissions (id, form_id, form_version, data, received_at)
       SELECT gen_random_uuid(), $1, 1, jsonb_build_object('name', 'n' || i, 'email', i || '@x.io', 'agree', true),
              timestamptz '2026-01-01' + make_interval(secs => least(i, 20))
         FROM generate_series(1, 21) AS i`,
      [id],
    );
    await primary.query(`INSERT INTO form_stats (form_id, submission_count, last_submission_at) VALUES ($1, 21, '2026-01-01T00:00:20Z')`, [id]);
    await waitForReplicas(db, `SELECT count(*) AS n FROM submissions WHERE form_id = '${id}'`, 21);
    // Written after the rows: a replica that has them may not have replayed the statistics yet.
    await waitForReplicas(db, `SELECT count(*) AS n FROM form_stats WHERE form_id = '${id}'`, 1);

    const replicaBefore = await queriesByRole(api.url, 'replica');
    const pages = await allPages<{ id: string; receivedAt: string; formVersion: number; data: { name: string } }>(
      api.url,
      `/api/admin/forms/${id}/submissions`,
      5,
    );
    expect(pages).toHaveLength(5);
    expect(pages.map((page) => page.items.length)).toEqual([5, 5, 5, 5, 1]);
    const items = pages.flatMap((page) => page.items);
    expect(new Set(items.map((item) => item.id)).size).toBe(21);
    const order = items.map((item) => `${item.receivedAt}|${item.id}`);
    expect(order).toEqual([...order].sort().reverse());
    expect(items.at(-1)).toMatchObject({ receivedAt: '2026-01-01T00:00:01.000Z', formVersion: 1, data: { name: 'n1' } });
    expect(await queriesByRole(api.url, 'replica')).toBeGreaterThanOrEqual(replicaBefore + 5);

    expect(await json(await admin(api.url, 'GET', `/api/admin/forms/${id}/stats`))).toEqual({
      formId: id,
      submissionCount: 21,
      lastSubmissionAt: '2026-01-01T00:00:20.000Z',
      versions: 1,
    });
  });

  it('configures, lists and removes a webhook endpoint; the secret is shown once', async () => {
    const id = await publishedForm(api.url, 'hooks');
    const created = await admin(api.url, 'POST', `/api/admin/forms/${id}/webhooks`, { url: 'https://hooks.example.com/formscale' });
    const hook = await json<{ id: string; url: string; active: boolean; secret: string }>(created, 201);
    expect(hook).toMatchObject({ formId: id, url: 'https://hooks.example.com/formscale', active: true });
    expect(hook.secret.length).toBeGreaterThanOrEqual(16);
    const token = created.headers.get('x-consistency-token') ?? '';

    // With the write's token the list is read where the write is visible.
    const listed = await fetch(`${api.url}/api/admin/forms/${id}/webhooks`, { headers: { 'x-api-key': ADMIN_KEY, 'x-consistency-token': token } });
    expect(await json(listed)).toEqual({ items: [{ id: hook.id, url: hook.url, active: true }] });
    expect(JSON.stringify(await json(await admin(api.url, 'GET', `/api/admin/forms/${id}/webhooks`)))).not.toContain(hook.secret);

    expect((await admin(api.url, 'DELETE', `/api/admin/forms/${id}/webhooks/${hook.id}`)).status).toBe(204);
    expect((await admin(api.url, 'DELETE', `/api/admin/forms/${id}/webhooks/${hook.id}`)).status).toBe(404);
    expect((await admin(api.url, 'POST', `/api/admin/forms/${id}/webhooks`, { url: 'ftp://x.io' })).status).toBe(400);
  });

  it('refuses a pattern that can backtrack catastrophically, on create and on draft update, naming the field', async () => {
    const unsafe = [{ name: 'name', type: 'text' }, { name: 'code', type: 'text', pattern: '^(a+)+$' }];
    const created = await admin(api.url, 'POST', '/api/admin/forms', { slug: 'redos', title: 'r', fields: unsafe });
    expect(await json(created, 400)).toMatchObject({
      statusCode: 400,
      details: [{ field: 'fields.1.pattern', message: expect.stringMatching(/code.*backtrack/) }],
    });

    const id = await publishedForm(api.url, 'redos-safe', [{ name: 'code', type: 'text', pattern: '^[A-Z]{3}$' }]);
    const updated = await admin(api.url, 'PUT', `/api/admin/forms/${id}/draft`, { fields: [{ name: 'code', type: 'text', pattern: '^\\S+@\\S+\\.\\S+$' }] });
    expect(await json(updated, 400)).toMatchObject({ details: [{ field: 'fields.0.pattern', message: expect.stringMatching(/polynomial/) }] });
    expect((await admin(api.url, 'POST', `/api/admin/forms/${id}/publish`)).status).toBe(409);
  });

  it('serves the OpenAPI UI and document at /api/docs', async () => {
    const ui = await fetch(`${api.url}/api/docs`);
    expect(ui.status).toBe(200);
    expect(ui.headers.get('content-type')).toMatch(/text\/html/);
    expect(await ui.text()).toMatch(/swagger-ui/i);

    const doc = await json<{ openapi: string; paths: Record<string, Record<string, unknown>> }>(await fetch(`${api.url}/api/docs/openapi.json`));
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/forms/{id}', '/api/forms/{id}/submissions', '/api/submissions/{id}', '/api/admin/forms', '/api/admin/forms/{id}/submissions.csv']),
    );
    expect(doc.paths['/api/forms/{id}/submissions']).toHaveProperty('post');
  });

  it('tells a stored submission, with its row, when the worker has written it', async () => {
    const formId = await publishedForm(api.url, 'status-stored');
    const id = randomUUID();
    await primary.query(
      `INSERT INTO submissions (id, form_id, form_version, data, received_at) VALUES ($1, $2, 1, $3, '2026-02-03T04:05:06Z')`,
      [id, formId, JSON.stringify({ name: 'Ada', email: 'a@b.co', agree: true })],
    );
    const { rows } = await primary.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
    // The write's position as a read-your-writes token: served by a replica that has it, or the primary.
    const response = await fetch(`${api.url}/api/submissions/${id}`, { headers: { 'x-consistency-token': rows[0]?.lsn ?? '' } });
    expect(await json(response)).toMatchObject({
      id,
      status: 'stored',
      formId,
      formVersion: 1,
      receivedAt: '2026-02-03T04:05:06.000Z',
      storedAt: expect.any(String),
      data: { name: 'Ada', email: 'a@b.co', agree: true },
    });
  });

  it('tells a failed submission with the reason of its last attempt', async () => {
    const formId = await publishedForm(api.url, 'status-failed');
    const id = randomUUID();
    await queue.add(
      PERSIST_SUBMISSION_JOB,
      { submissionId: id, formId, formVersion: 1, data: {}, idempotencyKey: null, receivedAt: new Date().toISOString(), client: { ip: null, userAgent: null, requestId: null } },
      { jobId: id, attempts: 1 },
    );
    const failed = new Promise<void>((resolve) => {
      const worker = new Worker(
        SUBMISSIONS_QUEUE,
        async () => {
          throw new Error('the database refused the row: value too long');
        },
        { connection: { ...REDIS, maxRetriesPerRequest: null }, prefix: config.queuePrefix },
      );
      worker.on('failed', () => void worker.close().then(() => resolve()));
    });
    await failed;
    expect(await json(await fetch(`${api.url}/api/submissions/${id}`))).toEqual({
      id,
      status: 'failed',
      formId,
      reason: 'the database refused the row: value too long',
    });
  });

  it('accepts a well-formed consistency token and refuses a malformed one with 400', async () => {
    const created = await admin(api.url, 'POST', '/api/admin/forms', { slug: 'token', title: 't', fields: CONTACT_FIELDS });
    const token = created.headers.get('x-consistency-token');
    expect(token).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    const unknown = `${api.url}/api/submissions/${randomUUID()}`;
    expect((await fetch(unknown, { headers: { 'x-consistency-token': token ?? '' } })).status).toBe(404);
    for (const bad of ['zz', '1/2/3', '/', 'G/0']) {
      const response = await fetch(unknown, { headers: { 'x-consistency-token': bad } });
      expect(response.status).toBe(400);
      expect(await json(response, 400)).toMatchObject({ statusCode: 400, message: expect.stringMatching(/token/i) });
    }
  });
});
