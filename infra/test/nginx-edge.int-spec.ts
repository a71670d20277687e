import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@formscale/db/testing';
import { LIFTED_RATE_LIMITS } from '../nginx/render';
import {
  builtFormsApiMain,
  deleteRedisKeys,
  formsApiEnvironment,
  FormsApiEnvironment,
  formsApiFleetSpec,
  publishForm,
} from './support/forms-api-fleet';
import { findNginx, NGINX_INSTALL_HINT, RunningNginx, startNginx } from './support/nginx';
import { requireSystemTool } from './support/system-tools';
import { fakeFormsApi, startFleet, UpstreamFleet } from './support/upstream-fleet';

/**
 * A real nginx, rendered from the shipped template, in front of three built
 * forms-api processes on a test database of their own. Stand-in servers only
 * where a real instance cannot be made to misbehave on cue.
 */

const WORKSPACE_ROOT = join(__dirname, '../..');
const REDIS_URL = process.env['REDIS_URL'] || 'redis://127.0.0.1:6379';
const INSTANCES = 3;
// Bounded load for the kill test: enough requests that the kill lands mid-stream.
const LOAD_REQUESTS = 300;
const LOAD_CONCURRENCY = 10;
const KILL_AFTER_RESPONSES = 60;
// A GET nginx passes through uncached, to see which instance answers each request.
const UNCACHED_PATH = '/health/live';

const nginx = findNginx();
const describeWithNginx = requireSystemTool('nginx', nginx, NGINX_INSTALL_HINT) ? describe : describe.skip;

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(30_000) });
  const body = await res.text();
  return { status: res.status, headers: res.headers, body };
}

/** Upstream addresses that answered the `requests` made to uri, from nginx's access log ("a, b" when nginx moved on to another). */
async function servingUpstreams(edge: RunningNginx, uri: string, requests: number): Promise<string[]> {
  const entries = await edge.loggedRequests((e) => e.uri === uri, requests);
  return entries.map((e) => e.upstream_addr.split(', ').pop() ?? '');
}

describeWithNginx('nginx edge in front of three forms-api instances', () => {
  let db: TestDatabase;
  let environment: FormsApiEnvironment;
  let fleet: UpstreamFleet;
  let edge: RunningNginx;
  let formPath: string;

  beforeAll(async () => {
    const main = builtFormsApiMain(WORKSPACE_ROOT);
    db = await createTestDatabase({ label: 'nginx-edge' });
    environment = formsApiEnvironment(db, 'nginx-edge');
    fleet = await startFleet(formsApiFleetSpec(main, environment), INSTANCES);
    edge = await startNginx(nginx as string, { upstreams: fleet.addresses(), rateLimits: LIFTED_RATE_LIMITS });
    const formId = await publishForm(edge.baseUrl, environment.adminKey, 'edge-contact');
    formPath = `/api/forms/${encodeURIComponent(formId)}`;
  });

  afterAll(async () => {
    await edge?.stop();
    await fleet?.stop();
    if (environment) await deleteRedisKeys(REDIS_URL, environment.queuePrefix);
    await db?.drop();
  });

  it('spreads uncached requests over every instance', async () => {
    const uri = `${UNCACHED_PATH}?spread`;
    for (let i = 0; i < 30; i++) expect((await get(`${edge.baseUrl}${uri}`)).status).toBe(200);
    const served = new Set(await servingUpstreams(edge, uri, 30));
    expect([...served].sort()).toEqual(fleet.addresses().sort());
  });

  it('serves a form read from the edge cache on the second request, honouring the ETag', async () => {
    const uri = `${formPath}?cache-test`;
    const first = await get(`${edge.baseUrl}${uri}`);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-cache-status')).toBe('MISS');
    expect(JSON.parse(first.body)).toMatchObject({ slug: 'edge-contact' });
    const second = await get(`${edge.baseUrl}${uri}`);
    expect(second.status).toBe(200);
    expect(second.headers.get('x-cache-status')).toBe('HIT');
    expect(second.body).toBe(first.body);
    // The cached copy answers with this request's id, not the one that filled the cache.
    expect(second.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
    expect(second.headers.get('x-request-id')).not.toBe(first.headers.get('x-request-id'));
    const etag = first.headers.get('etag');
    expect(etag).toBeTruthy();
    const revalidated = await get(`${edge.baseUrl}${uri}`, { 'If-None-Match': etag as string });
    expect(revalidated.status).toBe(304);
    expect(revalidated.headers.get('x-cache-status')).toBe('HIT');
    // Only the first request reached an instance.
    expect((await servingUpstreams(edge, uri, 3)).filter((a) => a !== '')).toHaveLength(1);
  });

  it('never shares a response to a request with credentials or a consistency token', async () => {
    const url = `${edge.baseUrl}${formPath}?bypass-test`;
    await get(url);
    const withToken = await get(url, { 'X-Consistency-Token': '0/16B3748' });
    expect(withToken.headers.get('x-cache-status')).toBe('BYPASS');
    const withAuth = await get(url, { Authorization: 'Bearer someone' });
    expect(withAuth.headers.get('x-cache-status')).toBe('BYPASS');
  });

  it('passes X-Request-Id through, and makes one when the caller sent none', async () => {
    const given = await get(`${edge.baseUrl}${UNCACHED_PATH}?rid`, { 'X-Request-Id': 'trace-abc-123' });
    expect(given.headers.get('x-request-id')).toBe('trace-abc-123');
    const made = await get(`${edge.baseUrl}${UNCACHED_PATH}?rid`);
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
    const logged = await edge.loggedRequests((e) => e.uri === `${UNCACHED_PATH}?rid`, 2);
    expect(logged.map((e) => e.request_id)).toEqual(['trace-abc-123', made.headers.get('x-request-id')]);
  });

  it('keeps /metrics off the public edge and serves stub_status on the internal port', async () => {
    expect((await get(`${edge.baseUrl}/metrics`)).status).toBe(404);
    const status = await get(`${edge.statusUrl}/stub_status`);
    expect(status.status).toBe(200);
    expect(status.body).toMatch(/^Active connections: \d+/);
  });

  it(`loses no GET when an instance is killed under load (${LOAD_REQUESTS} requests)`, async () => {
    // Each request reads the form under its own query string: a cache miss, so
    // every one goes through to an instance and the API's read path.
    const uri = (n: number) => `${formPath}?under-load=${n}`;
    const statuses: number[] = [];
    let next = 0;
    let killed = false;
    const victim = 0;
    async function client(): Promise<void> {
      while (next < LOAD_REQUESTS) {
        const n = next++;
        const res = await get(`${edge.baseUrl}${uri(n)}`).catch((e: Error) => ({ status: -1, body: e.message }));
        statuses.push(res.status);
        if (!killed && statuses.length >= KILL_AFTER_RESPONSES) {
          killed = true;
          fleet.kill(victim);
        }
      }
    }
    await Promise.all(Array.from({ length: LOAD_CONCURRENCY }, client));

    expect(killed).toBe(true);
    expect(statuses).toHaveLength(LOAD_REQUESTS);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    const log = await edge.loggedRequests((e) => e.uri.startsWith(`${formPath}?under-load=`), LOAD_REQUESTS);
    expect(log).toHaveLength(LOAD_REQUESTS);
    expect(log.every((e) => e.cache === 'MISS')).toBe(true);
    // The survivors took over: the last third of the requests went to them only.
    const tail = log.slice(-LOAD_REQUESTS / 3).map((e) => e.upstream_addr.split(', ').pop());
    expect(tail).not.toContain(fleet.instances[victim].address);
  });
});

describeWithNginx('nginx edge retries (fake instances)', () => {
  let fleet: UpstreamFleet;
  let edge: RunningNginx;

  beforeAll(async () => {
    fleet = await startFleet(fakeFormsApi, INSTANCES);
    edge = await startNginx(nginx as string, { upstreams: fleet.addresses(), rateLimits: LIFTED_RATE_LIMITS });
  });

  afterAll(async () => {
    await edge?.stop();
    await fleet?.stop();
  });

  it('tries another instance for a GET whose instance died mid-request, but never for a POST', async () => {
    const getRes = await get(`${edge.baseUrl}/api/test/drop?method=get`);
    expect(getRes.status).toBe(502);
    const postRes = await fetch(`${edge.baseUrl}/api/test/drop?method=post`, { method: 'POST', body: '{}' });
    await postRes.text();
    expect(postRes.status).toBe(502);

    const log = await edge.loggedRequests((e) => e.uri.startsWith('/api/test/drop?'), 2);
    const getTries = log.find((e) => e.uri === '/api/test/drop?method=get')?.upstream_addr.split(', ') ?? [];
    const postTries = log.find((e) => e.uri === '/api/test/drop?method=post')?.upstream_addr.split(', ') ?? [];
    expect(getTries).toHaveLength(INSTANCES);
    expect(postTries).toHaveLength(1);
  });
});

describeWithNginx('nginx edge rate limits', () => {
  let fleet: UpstreamFleet;
  let edge: RunningNginx;

  beforeAll(async () => {
    fleet = await startFleet(fakeFormsApi, 1);
    // One write a second with no burst: of 20 back-to-back submissions, only as
    // many pass as seconds go by, whatever the machine's speed.
    edge = await startNginx(nginx as string, {
      upstreams: fleet.addresses(),
      rateLimits: { ...LIFTED_RATE_LIMITS, writePerSecond: 1, writeBurst: 0 },
    });
  });

  afterAll(async () => {
    await edge?.stop();
    await fleet?.stop();
  });

  it('answers 429 to writes over the limit while reads go on', async () => {
    const started = Date.now();
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${edge.baseUrl}/api/forms/f1/submissions`, { method: 'POST', body: '{}' });
      await res.text();
      statuses.push(res.status);
    }
    const elapsedSeconds = (Date.now() - started) / 1000;
    expect(statuses[0]).toBe(202);
    expect(statuses.filter((s) => s === 202).length).toBeLessThanOrEqual(Math.ceil(elapsedSeconds) + 1);
    expect(statuses.filter((s) => s !== 202 && s !== 429)).toEqual([]);
    expect((await get(`${edge.baseUrl}/api/forms/f1`)).status).toBe(200);
  });
});
