import { createTestDatabase, type TestDatabase } from '@formscale/db/testing';
import { RedisServerProcess, startAppProcess, type AppProcess } from '@formscale/observability/testing';
import { ADMIN_KEY, publishedForm, submit } from './testing/api-test-support';

/** Correctness bound for a log line to reach the test through the process's stdout on a busy machine. */
const BOUND_MS = 30_000;
const valid = { name: 'Ada', email: 'ada@example.com', agree: true };

interface LogLine {
  level: string;
  msg: string;
  req?: { id: string; method?: string; url?: string };
  res?: { statusCode: number };
}

/*
 * What the built API writes to stdout, for the public routes Fastify serves
 * itself: every line of a request carries its id. Against a redis-server of
 * the test's own, which it stops to make a request fail and log on its way.
 */
describe('forms API request ids in its logs (the built app as a process)', () => {
  let db: TestDatabase;
  let redis: RedisServerProcess;
  let api: AppProcess;
  let formId: string;

  beforeAll(async () => {
    [db, redis] = await Promise.all([createTestDatabase({ label: 'forms-api-tracing' }), RedisServerProcess.start()]);
    api = await startAppProcess({
      app: 'forms-api',
      portVariable: 'FORMS_API_PORT',
      env: {
        LOG_LEVEL: 'info',
        DATABASE_URL: db.url,
        DATABASE_REPLICA_URLS: db.replicaUrls.join(','),
        REDIS_URL: redis.url,
        QUEUE_PREFIX: '{api-test-tracing}',
        ADMIN_API_KEYS: ADMIN_KEY,
        QUEUE_ADD_TIMEOUT_MS: '500',
      },
    });
    formId = await publishedForm(api.url, 'traced');
  }, 60_000);

  afterAll(async () => {
    api?.kill('SIGTERM');
    await api?.exited;
    await redis?.shutdown();
    await db?.drop();
  });

  /** The JSON lines the process wrote for one request id, once `done` says they are all there. */
  async function linesOf(requestId: string, done: (lines: LogLine[]) => boolean): Promise<LogLine[]> {
    const deadline = Date.now() + BOUND_MS;
    for (;;) {
      const lines = api.output
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as LogLine)
        .filter((line) => line.req?.id === requestId);
      if (done(lines)) return lines;
      if (Date.now() > deadline) throw new Error(`the lines of request ${requestId} are incomplete: ${JSON.stringify(lines)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  const answered = (lines: LogLine[]) => lines.some((line) => line.res !== undefined);

  it('starts without a Fastify warning (FSTWRN004: an error handler set twice on one scope)', () => {
    expect(api.output.filter((line) => line.includes('FastifyWarning'))).toEqual([]);
  });

  it('echoes X-Request-Id on the form read and the submit, and writes it on their request lines', async () => {
    const read = await fetch(`${api.url}/api/forms/${formId}`, { headers: { 'x-request-id': 'trace-read-1' } });
    const sent = await submit(api.url, formId, valid, { 'x-request-id': 'trace-submit-1' });
    expect([read.status, read.headers.get('x-request-id')]).toEqual([200, 'trace-read-1']);
    expect([sent.status, sent.headers.get('x-request-id')]).toEqual([202, 'trace-submit-1']);
    expect(await linesOf('trace-read-1', answered)).toEqual([
      expect.objectContaining({
        level: 'info',
        msg: 'request completed',
        req: { id: 'trace-read-1', method: 'GET', url: `/api/forms/${formId}` },
        res: { statusCode: 200 },
      }),
    ]);
    expect(await linesOf('trace-submit-1', answered)).toEqual([
      expect.objectContaining({ msg: 'request completed', req: expect.objectContaining({ method: 'POST' }), res: { statusCode: 202 } }),
    ]);
  });

  it('puts the request id on every line a failing submit logs, not only on its request line', async () => {
    await redis.shutdown();
    const sent = await submit(api.url, formId, valid, { 'x-request-id': 'trace-outage-1' });
    expect(sent.status).toBe(503);
    const lines = await linesOf('trace-outage-1', answered);
    expect(lines.map((line) => [line.level, line.msg])).toEqual(
      expect.arrayContaining([
        ['warn', 'submission not queued'],
        ['error', 'request errored'],
      ]),
    );
  });
});
