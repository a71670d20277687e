import { randomUUID } from 'node:crypto';
import { createTestDatabase, pauseReplay, resumeReplay, startThrowawayReplica, waitForReplay, type TestDatabase, type ThrowawayReplica } from '@formscale/db/testing';
import { startFormsApi, type RunningFormsApi } from './http/forms-api-app';
import { admin, ADMIN_KEY, publishedForm, queriesByRole, testConfig } from './testing/api-test-support';

/*
 * Reads right after writes while the only replica has not replayed them (its
 * replay paused: a replica of this file's own, never a shared one). A public read
 * after a publish must see the published form, not the replica's "no such form" or
 * old version cached for the whole TTL; an admin read that carries the write's
 * X-Consistency-Token must see the write.
 */

jest.setTimeout(180_000);

describe('forms API reads right after writes, while the replica lags', () => {
  let db: TestDatabase;
  let replica: ThrowawayReplica | undefined;
  let replicaUrl: string;
  let api: RunningFormsApi | undefined;

  /** A read of a form nobody has: a cache miss, so it reaches the database. */
  const readUnknownForm = async () => expect((await fetch(`${api?.url}/api/forms/${randomUUID()}`)).status).toBe(404);

  beforeAll(async () => {
    db = await createTestDatabase({ label: 'publish-refresh' });
    replica = await startThrowawayReplica(db.url);
    replicaUrl = replica.url(db.name);
    api = await startFormsApi(testConfig(db, { DATABASE_REPLICA_URLS: replicaUrl }));
    const url = api.url;
    // The replica is admitted to reads after its first health check.
    const deadline = Date.now() + 30_000;
    while ((await queriesByRole(url, 'replica')) === 0) {
      if (Date.now() > deadline) throw new Error('the replica never served a read');
      await readUnknownForm();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });

  afterAll(async () => {
    await api?.close();
    await replica?.destroy();
    await db?.drop();
  });

  it('serves the new form and each new version at once, from the cache the publish filled', async () => {
    const url = (api as RunningFormsApi).url;
    await pauseReplay(replicaUrl);
    try {
      const formId = await publishedForm(url, 'fresh');
      const first = await fetch(`${url}/api/forms/${formId}`);
      expect(first.status).toBe(200);
      expect(((await first.json()) as { version: number }).version).toBe(1);

      expect((await admin(url, 'PUT', `/api/admin/forms/${formId}/draft`, { fields: [{ name: 'note', type: 'text' }] })).status).toBe(200);
      expect((await admin(url, 'POST', `/api/admin/forms/${formId}/publish`)).status).toBe(200);
      const second = await fetch(`${url}/api/forms/${formId}`);
      expect(((await second.json()) as { version: number }).version).toBe(2);

      expect((await admin(url, 'POST', `/api/admin/forms/${formId}/archive`)).status).toBe(200);
      expect((await fetch(`${url}/api/forms/${formId}/submissions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"note":"x"}' })).status).toBe(409);

      // The lagging replica was still taking reads all along: the answers above came from the cache.
      const replicaReads = await queriesByRole(url, 'replica');
      await readUnknownForm();
      expect(await queriesByRole(url, 'replica')).toBe(replicaReads + 1);
    } finally {
      await resumeReplay(replicaUrl);
    }
  });

  it('answers an admin read that carries the write\'s token from a node that has the write', async () => {
    const url = (api as RunningFormsApi).url;
    const formId = await publishedForm(url, 'hooked');
    // The form itself must be on the replica: only the webhook is to be missing there.
    await waitForReplay(db.url, [replicaUrl]);
    await pauseReplay(replicaUrl);
    try {
      const created = await admin(url, 'POST', `/api/admin/forms/${formId}/webhooks`, { url: 'https://hooks.example.com/x' });
      expect(created.status).toBe(201);
      const token = created.headers.get('x-consistency-token') ?? '';
      const list = (headers: Record<string, string>) =>
        fetch(`${url}/api/admin/forms/${formId}/webhooks`, { headers: { 'x-api-key': ADMIN_KEY, ...headers } }).then(async (r) => (await r.json()) as { items: unknown[] });

      expect((await list({ 'x-consistency-token': token })).items).toHaveLength(1);
      // Without the token the lagging replica answers: the control that shows the token mattered.
      expect((await list({})).items).toHaveLength(0);
      expect((await fetch(`${url}/api/admin/forms/${formId}/stats`, { headers: { 'x-api-key': ADMIN_KEY, 'x-consistency-token': 'zz' } })).status).toBe(400);
    } finally {
      await resumeReplay(replicaUrl);
    }
  });
});
