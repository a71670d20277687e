import Fastify, { type FastifyInstance } from 'fastify';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { bindRequestContext } from './request-context';
import { requestIdFrom } from './request-id';
import { logRequests, requestIdMixin } from './request-logging';

interface Line {
  level: number;
  msg: string;
  req?: { id: string; method?: string; url?: string };
  res?: { statusCode: number };
  responseTime?: number;
}

/** A pino logger as LoggingModule makes it, writing its lines into memory. */
function memoryLogger(level: string) {
  const lines: Line[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Line);
      done();
    },
  });
  return { logger: pino({ level, base: null, timestamp: false, mixin: requestIdMixin }, sink), lines };
}

/** A Fastify app with the hooks createHttpApp installs. */
async function tracedApp(level: string): Promise<{ app: FastifyInstance; lines: Line[] }> {
  const { logger, lines } = memoryLogger(level);
  const app = Fastify({ genReqId: (request) => requestIdFrom(request.headers['x-request-id']) });
  bindRequestContext(app);
  logRequests(app, logger);
  app.get('/thing', async () => ({ ok: true }));
  app.get('/broken', async (_request, reply) => reply.status(503).send({ ok: false }));
  app.get('/health/live', async () => ({ status: 'ok' }));
  app.post('/work', async (request) => {
    await sleep(5);
    logger.warn({ size: JSON.stringify(request.body).length }, 'working on it');
    return { done: true };
  });
  await app.ready();
  return { app, lines };
}

describe('request logging and context (Fastify hooks)', () => {
  const apps: FastifyInstance[] = [];
  afterAll(() => Promise.all(apps.map((app) => app.close())));

  async function start(level = 'info') {
    const traced = await tracedApp(level);
    apps.push(traced.app);
    return traced;
  }

  it('echoes the request id and writes one line per answered request', async () => {
    const { app, lines } = await start();
    const response = await app.inject({ url: '/thing?page=2', headers: { 'x-request-id': 'trace-1' } });
    expect(response.headers['x-request-id']).toBe('trace-1');
    expect(lines).toEqual([
      {
        level: 30,
        msg: 'request completed',
        req: { id: 'trace-1', method: 'GET', url: '/thing?page=2' },
        res: { statusCode: 200 },
        responseTime: expect.any(Number),
      },
    ]);
  });

  it('writes a 5xx as request errored, at error level', async () => {
    const { app, lines } = await start();
    await app.inject({ url: '/broken', headers: { 'x-request-id': 'trace-2' } });
    expect(lines).toMatchObject([{ level: 50, msg: 'request errored', req: { id: 'trace-2' }, res: { statusCode: 503 } }]);
  });

  it('puts the request id on what is logged while the request is handled, after body parsing and awaits', async () => {
    const { app, lines } = await start();
    const answers = await Promise.all(
      ['trace-a', 'trace-b'].map((id) => app.inject({ method: 'POST', url: '/work', headers: { 'x-request-id': id }, payload: { id } })),
    );
    expect(answers.map((answer) => answer.statusCode)).toEqual([200, 200]);
    const work = lines.filter((line) => line.msg === 'working on it');
    expect(work.map((line) => line.req?.id).sort()).toEqual(['trace-a', 'trace-b']);
  });

  it('adds no request id to lines logged outside a request', async () => {
    const { logger, lines } = memoryLogger('info');
    logger.info('started');
    expect(lines).toEqual([{ level: 30, msg: 'started' }]);
  });

  it('leaves out probes, and writes no request line when info is off', async () => {
    const quietProbe = await start();
    await quietProbe.app.inject({ url: '/health/live' });
    const quietLevel = await start('warn');
    await quietLevel.app.inject({ url: '/thing' });
    expect([...quietProbe.lines, ...quietLevel.lines]).toEqual([]);
  });
});
