import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '@formscale/db/testing';
import { verifyExactlyOnce } from './exactly-once';
import { freePort, startApp, type RunningProcess } from './processes';
import { parseOptions } from './options';
import { runLoadTest } from './run-loadtest';

const ADMIN_KEY = 'loadtest-harness-key-0123456789';

describe('the load-test harness against a forms-api it starts', () => {
  let db: TestDatabase;
  let api: RunningProcess;
  let outDir: string;

  beforeAll(async () => {
    db = await createTestDatabase({ label: 'loadtest-harness', replicaUrls: [] });
    outDir = mkdtempSync(join(tmpdir(), 'loadtest-harness-'));
    // The naive mode writes each submission in the request, so the exactly-once check needs no worker.
    api = await startApp('forms-api', {
      FORMS_API_MODE: 'naive',
      DATABASE_URL: db.url,
      DATABASE_REPLICA_URLS: '',
      QUEUE_PREFIX: `{loadtest-harness-${randomBytes(4).toString('hex')}}`,
      EVENTS_PREFIX: `loadtest-harness-${randomBytes(4).toString('hex')}:`,
      ADMIN_API_KEYS: ADMIN_KEY,
      RATE_LIMIT_SUBMISSIONS: '1000000000',
    });
  });

  afterAll(async () => {
    await api?.stop();
    await db?.drop();
    rmSync(outDir, { recursive: true, force: true });
  });

  it('counts what the server counts, checks every accepted submission, and notes a missing collector', async () => {
    const closedPort = await freePort();
    const options = parseOptions(
      ['mixed', '--requests', '400', '--connections', '8', '--forms', '5', '--url', api.url, '--metrics-url', `${api.url}/metrics`,
        '--collector-url', `http://127.0.0.1:${closedPort}`, '--database-url', db.url, '--replica-urls', '', '--drain-timeout', '5', '--out', outDir],
      { ADMIN_API_KEYS: ADMIN_KEY },
    );
    const { report, formIds, acceptedIds } = await runLoadTest(options, { log: () => undefined, progress: false });

    expect(report.client.requests).toBe(400);
    expect(report.serverRequests).toBe(report.client.requests);
    expect((report.client.statuses['200'] ?? 0) + (report.client.statuses['202'] ?? 0)).toBe(400);
    expect(acceptedIds.length).toBe(report.client.statuses['202']);
    expect(acceptedIds.length).toBeGreaterThan(0);
    expect(report.exactlyOnce).toMatchObject({ accepted: acceptedIds.length, storedOnce: acceptedIds.length, missing: 0, ok: true });
    expect(report.notes.join('\n')).toMatch(/collector .* not reachable/);
    // Naive mode writes every submission in the request: the primary ran the load's transactions.
    const primary = report.db.nodes.find((node) => node.node.startsWith('primary'));
    expect(primary?.transactionsPerSecond).toBeGreaterThan(0);
    expect(primary?.meanMsPerTransaction).toBeGreaterThan(0);

    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query('DELETE FROM submissions WHERE id = $1', [acceptedIds[0]]);
    } finally {
      await client.end();
    }
    const afterDelete = await verifyExactlyOnce(db.url, acceptedIds, formIds, 1);
    expect(afterDelete).toMatchObject({ ok: false, missing: 1, storedOnce: acceptedIds.length - 1, missingSample: [acceptedIds[0]] });
  });
});
