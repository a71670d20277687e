import { EdgePurgeClient } from './purge-client';
import { startPurgeApiStandIn } from './purge-api-stand-in';

const ZONE = '023e105f4ecef8ad9ca31a8372d0c353';
const TOKEN = 'purge-token-0123456789';

describe('EdgePurgeClient against a stand-in for Cloudflare purge API', () => {
  let api: Awaited<ReturnType<typeof startPurgeApiStandIn>>;
  beforeAll(async () => {
    api = await startPurgeApiStandIn(TOKEN);
  });
  afterAll(() => api.close());
  beforeEach(() => api.requests.splice(0));

  const client = (overrides: Partial<{ cdnPurgeZoneId: string; cdnPurgeApiToken: string }> = {}) =>
    new EdgePurgeClient({ cdnPurgeZoneId: ZONE, cdnPurgeApiToken: TOKEN, cdnPurgeApiUrl: api.url, ...overrides });

  it('purges by tag: POST /zones/{zone_id}/purge_cache, Bearer token, JSON {"tags":[...]}', async () => {
    expect(await client().purgeForm('f-1')).toEqual({ purged: true, attempts: 1 });
    expect(api.requests).toEqual([
      {
        method: 'POST',
        path: `/client/v4/zones/${ZONE}/purge_cache`,
        authorization: `Bearer ${TOKEN}`,
        contentType: 'application/json',
        body: { tags: ['form-f-1'] },
      },
    ]);
  });

  it('retries 429 and 5xx with back-off, then succeeds', async () => {
    api.failNext(429, 503);
    expect(await client().purgeForm('f-2')).toEqual({ purged: true, attempts: 3 });
    expect(api.requests).toHaveLength(3);
  });

  it('gives up after the last attempt without throwing', async () => {
    api.failNext(502, 502, 502);
    const outcome = await client().purgeForm('f-3');
    expect(outcome).toMatchObject({ purged: false, attempts: 3 });
    expect(outcome.reason).toMatch(/HTTP 502/);
  });

  it('does not retry a rejected token', async () => {
    const outcome = await client({ cdnPurgeApiToken: 'wrong-token' }).purgeForm('f-4');
    expect(outcome).toMatchObject({ purged: false, attempts: 1 });
    expect(outcome.reason).toMatch(/HTTP 403: 10000 Authentication error/);
    expect(api.requests).toHaveLength(1);
  });

  it('is a no-op when no zone or token is configured', async () => {
    expect(await client({ cdnPurgeZoneId: '' }).purgeForm('f-5')).toMatchObject({ purged: false, attempts: 0 });
    expect(await client({ cdnPurgeApiToken: '' }).purgeForm('f-5')).toMatchObject({ purged: false, attempts: 0 });
    expect(api.requests).toHaveLength(0);
  });
});
