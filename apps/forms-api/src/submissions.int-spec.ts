import { Queue } from 'bullmq';
import { SUBMISSIONS_QUEUE } from '@formscale/contracts';
import { createTestDatabase, type TestDatabase } from '@formscale/db/testing';
import type { FormsApiConfig } from '@formscale/config';
import { startFormsApi, type RunningFormsApi } from './http/forms-api-app';
import { admin, publishedForm, submit, testConfig } from './testing/api-test-support';

const valid = { name: 'Ada', email: 'ada@example.com', agree: true };

describe('forms API submissions (real Redis, PostgreSQL, replicas)', () => {
  let db: TestDatabase;
  let config: FormsApiConfig;
  let api: RunningFormsApi;
  let queue: Queue;
  let formId: string;
  let draftId: string;
  let archivedId: string;

  beforeAll(async () => {
    db = await createTestDatabase({ label: 'forms-api-submissions' });
    config = testConfig(db, { SUBMISSION_BODY_LIMIT_BYTES: '4096' });
    api = await startFormsApi(config);
    queue = new Queue(SUBMISSIONS_QUEUE, { connection: { host: '127.0.0.1', port: 6379 }, prefix: config.queuePrefix });
    formId = await publishedForm(api.url, 'contact');
    const draft = await admin(api.url, 'POST', '/api/admin/forms', { slug: 'draft-only', title: 'd', fields: [{ name: 'a', type: 'text' }] });
    draftId = ((await draft.json()) as { id: string }).id;
    archivedId = await publishedForm(api.url, 'archived');
    expect((await admin(api.url, 'POST', `/api/admin/forms/${archivedId}/archive`)).status).toBe(200);
  }, 60_000);

  afterAll(async () => {
    await queue?.obliterate({ force: true }).catch(() => undefined);
    await queue?.close();
    await api?.close();
    await db?.drop();
  });

  it('queues a valid submission: 202, id, Location, and a job under that id', async () => {
    const response = await submit(api.url, formId, valid);
    expect(response.status).toBe(202);
    const body = (await response.json()) as { id: string; status: string };
    expect(body).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), status: 'queued' });
    expect(response.headers.get('location')).toBe(`/api/submissions/${body.id}`);
    const job = await queue.getJob(body.id);
    expect(job?.data).toMatchObject({ submissionId: body.id, formId, formVersion: 1, data: valid });
    const status = await fetch(`${api.url}${response.headers.get('location')}`);
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({ id: body.id, status: 'queued', formId });
  });

  it('serves the published form with ETag, CDN headers, and 304 on If-None-Match', async () => {
    const first = await fetch(`${api.url}/api/forms/${formId}`);
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('public, s-maxage=60, stale-while-revalidate=300');
    expect(first.headers.get('cache-tag')).toBe(`form-${formId}`);
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^".+"$/);
    expect(await first.json()).toMatchObject({ id: formId, slug: 'contact', version: 1, fields: expect.any(Array) });
    const second = await fetch(`${api.url}/api/forms/${formId}`, { headers: { 'if-none-match': etag ?? '' } });
    expect(second.status).toBe(304);
    expect(await second.text()).toBe('');
  });

  it('echoes X-Request-Id on the public routes and counts them under their route templates, never their paths', async () => {
    const read = await fetch(`${api.url}/api/forms/${formId}`, { headers: { 'x-request-id': 'trace-read' } });
    expect(read.headers.get('x-request-id')).toBe('trace-read');
    const sent = await submit(api.url, formId, valid, { 'x-request-id': 'trace-submit' });
    expect(sent.headers.get('x-request-id')).toBe('trace-submit');
    const metrics = await (await fetch(`${api.url}/metrics`)).text();
    expect(metrics).toMatch(/^http_requests_total\{method="GET",route="\/api\/forms\/:id",status="200",/m);
    expect(metrics).toMatch(/^http_requests_total\{method="POST",route="\/api\/forms\/:id\/submissions",status="202",/m);
    expect(metrics).toMatch(/^http_request_duration_seconds_count\{.*method="POST",route="\/api\/forms\/:id\/submissions",status="202"\} \d+$/m);
    expect(metrics.split('\n').filter((line) => line.startsWith('http_') && line.includes(formId))).toEqual([]);
  });

  it('gives the first answer to a retry with the same Idempotency-Key and body, 422 for another body', async () => {
    const headers = { 'idempotency-key': 'retry-key-1' };
    const first = (await (await submit(api.url, formId, valid, headers)).json()) as { id: string };
    const again = await submit(api.url, formId, valid, headers);
    expect(again.status).toBe(202);
    expect(((await again.json()) as { id: string }).id).toBe(first.id);
    const other = await submit(api.url, formId, { ...valid, name: 'Bob' }, headers);
    expect(other.status).toBe(422);
    expect(await other.json()).toMatchObject({ statusCode: 422, error: 'Unprocessable Entity', message: expect.stringMatching(/Idempotency-Key/) });
  });

  it('turns 50 concurrent requests with one key into one job and one id', async () => {
    const headers = { 'idempotency-key': 'concurrent-key' };
    const body = { ...valid, name: 'Concurrent' };
    const responses = await Promise.all(Array.from({ length: 50 }, () => submit(api.url, formId, body, headers)));
    expect(responses.map((response) => response.status)).toEqual(Array(50).fill(202));
    const ids = new Set(await Promise.all(responses.map(async (response) => ((await response.json()) as { id: string }).id)));
    expect(ids.size).toBe(1);
    const jobs = await queue.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed', 'prioritized']);
    expect(jobs.filter((job) => (job.data as { data: { name: string } }).data.name === 'Concurrent')).toHaveLength(1);
  });

  const bad: Array<[string, () => Promise<Response>, number]> = [
    ['malformed JSON', () => submit(api.url, formId, '{"name":'), 400],
    ['JSON array body', () => submit(api.url, formId, '[1,2]'), 400],
    ['JSON string body', () => submit(api.url, formId, '"hello"'), 400],
    ['JSON null body', () => submit(api.url, formId, 'null'), 400],
    ['empty body with JSON content type', () => submit(api.url, formId, ''), 400],
    ['body over the limit', () => submit(api.url, formId, { ...valid, name: 'x'.repeat(5000) }), 413],
    ['unknown form', () => submit(api.url, '00000000-0000-4000-8000-000000000000', valid), 404],
    ['form id not a UUID', () => submit(api.url, 'not-a-uuid', valid), 400],
    ['form id SQL-ish', () => submit(api.url, "1'%20OR%20'1'='1", valid), 400],
    ['draft form', () => submit(api.url, draftId, { a: 'x' }), 409],
    ['archived form', () => submit(api.url, archivedId, valid), 409],
    ['unknown field', () => submit(api.url, formId, { ...valid, extra: 1 }), 400],
    ['missing required field', () => submit(api.url, formId, { name: 'Ada', agree: true }), 400],
    ['wrong type', () => submit(api.url, formId, { ...valid, age: 'thirty' }), 400],
    ['below minimum', () => submit(api.url, formId, { ...valid, age: 3 }), 400],
    ['bad email', () => submit(api.url, formId, { ...valid, email: 'nope' }), 400],
    ['option not offered', () => submit(api.url, formId, { ...valid, plan: 'gold' }), 400],
    ['empty Idempotency-Key', () => submit(api.url, formId, valid, { 'idempotency-key': '' }), 400],
    ['Idempotency-Key too long', () => submit(api.url, formId, valid, { 'idempotency-key': 'k'.repeat(256) }), 400],
    ['Idempotency-Key with a control character', () => submit(api.url, formId, valid, { 'idempotency-key': 'a\tb' }), 400],
    ['text/plain body', () => fetch(`${api.url}/api/forms/${formId}/submissions`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' }), 400],
    ['XML body', () => fetch(`${api.url}/api/forms/${formId}/submissions`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<a/>' }), 415],
    ['submission status of a non-UUID', () => fetch(`${api.url}/api/submissions/abc`), 400],
    ['unknown submission', () => fetch(`${api.url}/api/submissions/00000000-0000-4000-8000-000000000000`), 404],
    ['malformed consistency token', () => fetch(`${api.url}/api/submissions/00000000-0000-4000-8000-000000000000`, { headers: { 'x-consistency-token': 'zz' } }), 400],
    ['form read with a non-UUID', () => fetch(`${api.url}/api/forms/xyz`), 400],
    ['admin without key', () => fetch(`${api.url}/api/admin/forms`), 401],
    ['admin with a wrong key', () => fetch(`${api.url}/api/admin/forms`, { headers: { 'x-api-key': 'wrong' } }), 403],
    ['admin create with bad fields', () => admin(api.url, 'POST', '/api/admin/forms', { slug: 'x', title: 'x', fields: [{ name: 'a', type: 'color' }] }), 400],
  ];

  it.each(bad.map(([name, send, status]) => [`${name} -> ${status}`, send, status] as const))('%s, as a JSON error', async (_name, send, expected) => {
    const response = await send();
    expect(response.status).toBe(expected);
    const body = (await response.json()) as { statusCode: number; error: string; message: string };
    expect(body).toMatchObject({ statusCode: expected, error: expect.any(String), message: expect.any(String) });
    expect(body.message.length).toBeGreaterThan(10);
  });

  it("answers Fastify's own refusals (limits, body parsing) in the API's words", async () => {
    const refusals = await Promise.all([
      submit(api.url, formId, { ...valid, name: 'x'.repeat(5000) }),
      fetch(`${api.url}/api/forms/${formId}/submissions`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<a/>' }),
      submit(api.url, formId, ''),
      submit(api.url, formId, '{"name":'),
    ]);
    const bodies = await Promise.all(refusals.map((response) => response.json() as Promise<{ statusCode: number; message: string }>));
    expect(bodies.map(({ statusCode, message }) => [statusCode, message])).toEqual([
      [413, 'The request body is larger than this endpoint accepts; send fewer or shorter answers.'],
      [415, 'Send the body as JSON with Content-Type: application/json.'],
      [400, 'The body is empty; send a JSON object of field names to answers.'],
      [400, 'The body is not valid JSON; send a JSON object of field names to answers.'],
    ]);
  });

  it('lists each field error as {field, message}', async () => {
    const response = await submit(api.url, formId, { name: 'A', email: 'x', agree: false, zzz: 1 });
    const body = (await response.json()) as { details: Array<{ field: string; message: string }> };
    expect(body.details.map((detail) => detail.field).sort()).toEqual(['agree', 'email', 'name', 'zzz']);
  });
});
