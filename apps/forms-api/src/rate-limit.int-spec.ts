import { Queue } from 'bullmq';
import { SUBMISSIONS_QUEUE } from '@formscale/contracts';
import { createTestDatabase, type TestDatabase } from '@formscale/db/testing';
import type { FormsApiConfig } from '@formscale/config';
import { startFormsApi, type RunningFormsApi } from './http/forms-api-app';
import { publishedForm, submit, testConfig } from './testing/api-test-support';

const LIMIT = 4;
const valid = { name: 'Ada', email: 'ada@example.com', agree: true };

// Two instances of the API on one Redis, as behind a load balancer: the per-IP limit is theirs together.
describe('forms API per-IP rate limit (two instances, real Redis)', () => {
  let db: TestDatabase;
  let config: FormsApiConfig;
  let first: RunningFormsApi;
  let second: RunningFormsApi;
  let formId: string;

  beforeAll(async () => {
    db = await createTestDatabase({ label: 'forms-api-rate-limit' });
    config = testConfig(db, { RATE_LIMIT_SUBMISSIONS: String(LIMIT), RATE_LIMIT_WINDOW_SECONDS: '300' });
    [first, second] = await Promise.all([startFormsApi(config), startFormsApi(config)]);
    formId = await publishedForm(first.url, 'limited');
  }, 60_000);

  afterAll(async () => {
    const queue = new Queue(SUBMISSIONS_QUEUE, { connection: { host: '127.0.0.1', port: 6379 }, prefix: config.queuePrefix });
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await Promise.all([first?.close(), second?.close()]);
    await db?.drop();
  });

  it('accepts the limit across both instances, then answers 429 with Retry-After', async () => {
    const responses: Response[] = [];
    for (let i = 0; i < 10; i++) responses.push(await submit((i % 2 === 0 ? first : second).url, formId, valid));
    expect(responses.map((response) => response.status)).toEqual([202, 202, 202, 202, 429, 429, 429, 429, 429, 429]);
    for (const refused of responses.slice(LIMIT)) {
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(await refused.json()).toMatchObject({ statusCode: 429, error: 'Too Many Requests', message: expect.stringMatching(/retry after \d+ s/) });
    }
  });
});
