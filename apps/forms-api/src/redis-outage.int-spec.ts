import { createTestDatabase, type TestDatabase } from '@formscale/db/testing';
import { startFormsApi, type RunningFormsApi } from './http/forms-api-app';
import { publishedForm, submit, testConfig } from './testing/api-test-support';
import { RedisServerProcess } from '@formscale/observability/testing';

const valid = { name: 'Ada', email: 'ada@example.com', agree: true };

// Stops Redis mid-test, so the app talks to a redis-server of its own on a free port, never the shared 6379.
describe('forms API while Redis is down', () => {
  let db: TestDatabase;
  let redis: RedisServerProcess;
  let api: RunningFormsApi;
  let formId: string;

  beforeAll(async () => {
    [db, redis] = await Promise.all([createTestDatabase({ label: 'forms-api-redis-outage' }), RedisServerProcess.start()]);
    api = await startFormsApi(testConfig(db, { REDIS_URL: redis.url, QUEUE_ADD_TIMEOUT_MS: '500' }));
    formId = await publishedForm(api.url, 'outage');
    // One read fills the cache (L1 in this process, L2 in Redis).
    expect((await fetch(`${api.url}/api/forms/${formId}`)).status).toBe(200);
    expect((await submit(api.url, formId, valid)).status).toBe(202);
  }, 60_000);

  afterAll(async () => {
    await api?.close();
    await redis?.shutdown();
    await db?.drop();
  });

  it('answers submissions 503 with Retry-After, never 202, and still serves the cached form', async () => {
    await redis.shutdown();
    expect(await redis.answers()).toBe(false);

    const plain = await Promise.all(Array.from({ length: 5 }, () => submit(api.url, formId, valid)));
    const keyed = await submit(api.url, formId, valid, { 'idempotency-key': 'outage-key' });
    for (const response of [...plain, keyed]) {
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await response.json()).toMatchObject({ statusCode: 503, message: expect.stringMatching(/nothing was saved/) });
    }

    const read = await fetch(`${api.url}/api/forms/${formId}`);
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ id: formId, slug: 'outage', version: 1 });
  });
});
