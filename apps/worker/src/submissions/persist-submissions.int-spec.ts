import { randomUUID } from 'node:crypto';
import type { SubmissionJob } from '@formscale/contracts';
import { ReplicaRouter } from '@formscale/db';
import { createPublishedForm, createTestDatabase, queryOne, type TestDatabase } from '@formscale/db/testing';
import { submissionJob } from '@formscale/queue/testing';
import { Registry } from 'prom-client';
import { persistIsolatingBadRows, type Execute, type PersistOutcome } from './persist-submissions';

/*
 * The batch statement against the real PostgreSQL: which rows go in, what the
 * statistics count, who gets webhooks, and how re-runs, idempotency keys, bad
 * rows and concurrent batches come out.
 */
describe('persisting a batch of submissions', () => {
  let db: TestDatabase;
  let router: ReplicaRouter;
  let execute: Execute;

  beforeAll(async () => {
    db = await createTestDatabase({ label: 'worker-persist', replicaUrls: [] });
    router = new ReplicaRouter({
      primaryUrl: db.url,
      replicaUrls: [],
      registry: new Registry(),
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
      pool: { max: 8 },
    });
    await router.start();
    execute = (query) => router.execute(query);
  });
  afterAll(async () => {
    await router?.stop();
    await db?.drop();
  });

  async function stats(formId: string): Promise<{ count: number; last: string | null } | undefined> {
    return queryOne(db.url, `SELECT submission_count::int AS count, last_submission_at AS last FROM form_stats WHERE form_id = $1`, [formId]);
  }
  async function rowCount(formId: string): Promise<number> {
    return (await queryOne<{ n: number }>(db.url, 'SELECT count(*)::int AS n FROM submissions WHERE form_id = $1', [formId])).n;
  }
  async function addEndpoint(formId: string, active: boolean): Promise<string> {
    const row = await queryOne<{ id: string }>(
      db.url,
      `INSERT INTO webhook_endpoints (form_id, url, secret, active) VALUES ($1, 'http://127.0.0.1:9/hook', 'secret', $2) RETURNING id`,
      [formId, active],
    );
    return row.id;
  }
  const statuses = (outcomes: readonly PersistOutcome[]) => outcomes.map((outcome) => outcome.status);

  it('stores new rows of several forms, counts them per form and names the forms that changed', async () => {
    const [formA, formB] = [await createPublishedForm(db.url), await createPublishedForm(db.url)];
    const jobs = [
      ...Array.from({ length: 30 }, (_, i) => submissionJob(formA, i)),
      ...Array.from({ length: 20 }, (_, i) => submissionJob(formB, i)),
    ];
    const latest = { ...jobs[5], receivedAt: '2030-01-02T03:04:05.000Z' } as SubmissionJob;
    jobs[5] = latest;

    const result = await persistIsolatingBadRows(execute, jobs);

    expect(statuses(result.outcomes)).toEqual(jobs.map(() => 'stored'));
    expect(result.changedFormIds).toEqual([formA, formB].sort());
    expect(await rowCount(formA)).toBe(30);
    expect(await rowCount(formB)).toBe(20);
    expect(await stats(formA)).toEqual({ count: 30, last: new Date(latest.receivedAt) });
    expect((await stats(formB))?.count).toBe(20);
    const stored = await queryOne<{ data: unknown; client: unknown; version: number; key: string | null }>(
      db.url,
      'SELECT data, client_metadata AS client, form_version AS version, idempotency_key AS key FROM submissions WHERE id = $1',
      [jobs[0]?.submissionId],
    );
    expect(stored).toEqual({ data: jobs[0]?.data, client: jobs[0]?.client, version: 1, key: null });
  });

  it('a batch run again changes nothing: every job is a duplicate, the statistics stay', async () => {
    const formId = await createPublishedForm(db.url);
    const jobs = Array.from({ length: 10 }, (_, i) => submissionJob(formId, i));
    await persistIsolatingBadRows(execute, jobs);

    const again = await persistIsolatingBadRows(execute, [...jobs.slice(0, 5), submissionJob(formId, 99)]);

    expect(statuses(again.outcomes)).toEqual(['duplicate', 'duplicate', 'duplicate', 'duplicate', 'duplicate', 'stored']);
    expect(again.changedFormIds).toEqual([formId]);
    expect(await rowCount(formId)).toBe(11);
    expect((await stats(formId))?.count).toBe(11);
  });

  it('a second id for an idempotency key the form already holds is an idempotent replay, stored nowhere and not counted', async () => {
    const formId = await createPublishedForm(db.url);
    const first = { ...submissionJob(formId, 1), idempotencyKey: 'client-key-1' };
    await persistIsolatingBadRows(execute, [first]);
    const retry = { ...submissionJob(formId, 1), idempotencyKey: 'client-key-1' };
    const inBatch = { ...submissionJob(formId, 2), idempotencyKey: 'client-key-2' };
    const sameBatchTwin = { ...submissionJob(formId, 3), idempotencyKey: 'client-key-2' };

    const result = await persistIsolatingBadRows(execute, [retry, inBatch, sameBatchTwin]);

    expect(result.outcomes[0]).toEqual({ status: 'idempotent-replay', webhookEndpointIds: [] });
    // Two new ids with one new key in one batch: exactly one of them goes in.
    expect(statuses(result.outcomes.slice(1)).sort()).toEqual(['idempotent-replay', 'stored']);
    expect(await rowCount(formId)).toBe(2);
    expect((await stats(formId))?.count).toBe(2);
  });

  it("names the active webhook endpoints of each job's form, for stored and re-run jobs, none for replays", async () => {
    const [withHooks, withoutHooks] = [await createPublishedForm(db.url), await createPublishedForm(db.url)];
    const endpoints = [await addEndpoint(withHooks, true), await addEndpoint(withHooks, true)].sort();
    await addEndpoint(withHooks, false);
    await addEndpoint(withoutHooks, false);
    const jobs = [submissionJob(withHooks, 1), submissionJob(withoutHooks, 2)];

    const first = await persistIsolatingBadRows(execute, jobs);
    const rerun = await persistIsolatingBadRows(execute, jobs);

    expect(first.outcomes).toEqual([
      { status: 'stored', webhookEndpointIds: endpoints },
      { status: 'stored', webhookEndpointIds: [] },
    ]);
    expect(rerun.outcomes).toEqual([
      { status: 'duplicate', webhookEndpointIds: endpoints },
      { status: 'duplicate', webhookEndpointIds: [] },
    ]);
  });

  it('rejects only the row the database refuses; its neighbours are stored and counted', async () => {
    const formId = await createPublishedForm(db.url);
    const jobs = Array.from({ length: 5 }, (_, i) => submissionJob(formId, i));
    // Version 7 of the form does not exist: the foreign key refuses the row.
    jobs[2] = { ...(jobs[2] as SubmissionJob), formVersion: 7 };

    const result = await persistIsolatingBadRows(execute, jobs);

    expect(statuses(result.outcomes)).toEqual(['stored', 'stored', 'rejected', 'stored', 'stored']);
    expect(result.outcomes[2]).toMatchObject({ reason: expect.stringMatching(/foreign key/) });
    expect(result.changedFormIds).toEqual([formId]);
    expect(await rowCount(formId)).toBe(4);
    expect((await stats(formId))?.count).toBe(4);
  });

  it('concurrent batches that share rows (re-runs of stalled jobs) store and count each row once', async () => {
    const formId = await createPublishedForm(db.url);
    const parts = Array.from({ length: 4 }, () => Array.from({ length: 1_000 }, (_, i) => submissionJob(formId, i)));
    // Each batch holds its neighbour's part, then its own, so every row is written by two batches at once.
    const batches = parts.map((part, i) => [...(parts[(i + 1) % parts.length] ?? []), ...part]);
    // Four open connections, so the four batches start together rather than one per connect.
    await Promise.all(batches.map(() => execute({ text: 'SELECT pg_sleep(0.05)' })));

    const results = await Promise.all(batches.map((batch) => persistIsolatingBadRows(execute, batch)));

    const stored = new Map<string, number>();
    results.forEach((result, b) =>
      result.outcomes.forEach((outcome, j) => {
        expect(['stored', 'duplicate']).toContain(outcome.status);
        if (outcome.status === 'stored') {
          const id = batches[b]?.[j]?.submissionId ?? randomUUID();
          stored.set(id, (stored.get(id) ?? 0) + 1);
        }
      }),
    );
    expect(stored.size).toBe(4_000);
    expect([...stored.values()].every((times) => times === 1)).toBe(true);
    expect(await rowCount(formId)).toBe(4_000);
    expect((await stats(formId))?.count).toBe(4_000);
  });
});
