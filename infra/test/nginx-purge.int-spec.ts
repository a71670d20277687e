import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@formscale/db/testing';
import { LIFTED_RATE_LIMITS } from '../nginx/render';
import { builtFormsApiMain, deleteRedisKeys, formsApiEnvironment, FormsApiEnvironment, formsApiFleetSpec } from './support/forms-api-fleet';
import { findNginx, NGINX_INSTALL_HINT, RunningNginx, startNginx } from './support/nginx';
import { freePort } from './support/processes';
import { requireSystemTool } from './support/system-tools';
import { startFleet, UpstreamFleet } from './support/upstream-fleet';

/**
 * Purge on publish for the nginx edge cache: a real nginx, rendered from the
 * shipped template, in front of a real forms-api whose NGINX_PURGE_URLS names
 * nginx's internal port. Publishing a new version refreshes the cached form,
 * so the next read through nginx is the new version, long before its
 * s-maxage (60 s) would have let it expire.
 */

const WORKSPACE_ROOT = join(__dirname, '../..');
const REDIS_URL = process.env['REDIS_URL'] || 'redis://127.0.0.1:6379';

const nginx = findNginx();
const describeWithNginx = requireSystemTool('nginx', nginx, NGINX_INSTALL_HINT) ? describe : describe.skip;

const FIELDS_V1 = [{ name: 'name', type: 'text', required: true, minLength: 2, maxLength: 40 }];
const FIELDS_V2 = [...FIELDS_V1, { name: 'email', type: 'email', required: true }];

describeWithNginx('nginx edge cache refreshed on publish and archive', () => {
  let db: TestDatabase;
  let environment: FormsApiEnvironment;
  let api: UpstreamFleet;
  let edge: RunningNginx | undefined;
  let statusPort: number;

  async function admin(method: string, path: string, body?: unknown): Promise<Response> {
    const res = await fetch(`http://${api.addresses()[0]}${path}`, {
      method,
      headers: { 'x-api-key': environment.adminKey, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res;
  }

  async function read(formId: string) {
    const res = await fetch(`${edge?.baseUrl}/api/forms/${formId}`, { signal: AbortSignal.timeout(30_000) });
    const text = await res.text();
    return { status: res.status, cache: res.headers.get('x-cache-status'), body: res.status === 200 ? (JSON.parse(text) as { version: number; fields: unknown[] }) : text };
  }

  beforeAll(async () => {
    const main = builtFormsApiMain(WORKSPACE_ROOT);
    // The primary alone: the refresh then reads what the publish committed, with no replica lag to wait out.
    db = await createTestDatabase({ label: 'nginx-purge', replicaUrls: [] });
    environment = formsApiEnvironment(db, 'nginx-purge');
    statusPort = await freePort();
    environment.env['NGINX_PURGE_URLS'] = `http://127.0.0.1:${statusPort}`;
    api = await startFleet(formsApiFleetSpec(main, environment), 1);
  });

  afterAll(async () => {
    await edge?.stop();
    await api?.stop();
    if (environment) await deleteRedisKeys(REDIS_URL, environment.queuePrefix);
    await db?.drop();
  });

  it('serves a publish that happened while nginx was down, then the new version right after the next publish', async () => {
    // nginx is not up yet: the refresh fails after its retries, and the publish still succeeds.
    const { id } = (await (await admin('POST', '/api/admin/forms', { slug: 'purged-form', title: 'Purged', fields: FIELDS_V1 })).json()) as { id: string };
    await admin('POST', `/api/admin/forms/${id}/publish`);

    edge = await startNginx(nginx as string, { upstreams: api.addresses(), rateLimits: LIFTED_RATE_LIMITS, statusPort });
    const miss = await read(id);
    expect({ status: miss.status, cache: miss.cache }).toEqual({ status: 200, cache: 'MISS' });
    const hit = await read(id);
    expect({ status: hit.status, cache: hit.cache, body: hit.body }).toEqual({ status: 200, cache: 'HIT', body: miss.body });
    expect(hit.body).toMatchObject({ version: 1, fields: FIELDS_V1 });

    await admin('PUT', `/api/admin/forms/${id}/draft`, { fields: FIELDS_V2 });
    await admin('POST', `/api/admin/forms/${id}/publish`);
    // Served from the cache, which the publish refreshed: the new version, without waiting out s-maxage.
    const after = await read(id);
    expect({ status: after.status, cache: after.cache }).toEqual({ status: 200, cache: 'HIT' });
    expect(after.body).toMatchObject({ version: 2, fields: FIELDS_V2 });
    const refreshes = (await edge?.loggedRequests((entry) => entry.uri === `/cache/refresh/api/forms/${id}`, 1)) ?? [];
    expect(refreshes.map((entry) => entry.status)).toEqual([200]);

    await admin('POST', `/api/admin/forms/${id}/archive`);
    const archived = await read(id);
    expect({ status: archived.status, cache: archived.cache }).toEqual({ status: 409, cache: 'HIT' });
  });

  it('refreshes only from the internal port: the public one has no such path', async () => {
    const res = await fetch(`${edge?.baseUrl}/cache/refresh/api/forms/00000000-0000-4000-8000-000000000000`);
    await res.text();
    expect(res.headers.get('x-cache-status')).toBeNull();
    expect(res.status).toBe(404);
  });
});
