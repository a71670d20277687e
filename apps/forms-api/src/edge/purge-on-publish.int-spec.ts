import { createTestDatabase, type TestDatabase } from '@formscale/db/testing';
import { startFormsApi, type RunningFormsApi } from '../http/forms-api-app';
import { admin, publishedForm, testConfig } from '../testing/api-test-support';
import { startPurgeApiStandIn } from './purge-api-stand-in';

const ZONE = '9a7806061c88ada191ed06f989cc3dac';
const TOKEN = 'purge-token-publish-0123456789';

describe('publishing or archiving a form purges its CDN tag', () => {
  let db: TestDatabase;
  let api: RunningFormsApi;
  let purgeApi: Awaited<ReturnType<typeof startPurgeApiStandIn>>;

  beforeAll(async () => {
    purgeApi = await startPurgeApiStandIn(TOKEN);
    db = await createTestDatabase({ label: 'forms-api-edge-purge' });
    api = await startFormsApi(testConfig(db, { CDN_PURGE_ZONE_ID: ZONE, CDN_PURGE_API_TOKEN: TOKEN, CDN_PURGE_API_URL: purgeApi.url }));
  }, 60_000);

  afterAll(async () => {
    await api?.close();
    await db?.drop();
    await purgeApi?.close();
  });

  it('sends the form tag to the purge API on publish and on archive', async () => {
    const id = await publishedForm(api.url, 'purged-on-publish');
    const read = await fetch(`${api.url}/api/forms/${id}`);
    expect(read.headers.get('cache-tag')).toBe(`form-${id}`);
    expect(purgeApi.requests).toEqual([
      expect.objectContaining({ method: 'POST', path: `/client/v4/zones/${ZONE}/purge_cache`, authorization: `Bearer ${TOKEN}`, body: { tags: [`form-${id}`] } }),
    ]);

    expect((await admin(api.url, 'POST', `/api/admin/forms/${id}/archive`)).status).toBe(200);
    expect(purgeApi.requests).toHaveLength(2);
    expect(purgeApi.requests[1]?.body).toEqual({ tags: [`form-${id}`] });
  });

  it('still publishes when the purge API fails, and says so only in the log', async () => {
    purgeApi.failNext(503, 503, 503);
    const before = purgeApi.requests.length;
    const id = await publishedForm(api.url, 'published-despite-purge-failure');
    expect((await fetch(`${api.url}/api/forms/${id}`)).status).toBe(200);
    expect(purgeApi.requests.length - before).toBe(3);
  });
});
