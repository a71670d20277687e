import type { SubmissionJob } from '@formscale/contracts';
import type { TransactionClient } from '@formscale/db';

/** What became of one submission in its batch. */
export type PersistOutcome =
  /** The row was inserted by this batch. */
  | { readonly status: 'stored'; readonly webhookEndpointIds: readonly string[] }
  /** The row was already there (a re-run job): nothing changed. */
  | { readonly status: 'duplicate'; readonly webhookEndpointIds: readonly string[] }
  /**
   * Another submission of the same form already holds its idempotency key: the
   * client's retry got a second id. The first one stands; this one is dropped.
   */
  | { readonly status: 'idempotent-replay'; readonly webhookEndpointIds: readonly string[] }
  /** The database refused the row itself (e.g. its form version does not exist): retrying cannot help. */
  | { readonly status: 'rejected'; readonly reason: string };

export interface BatchResult {
  readonly outcomes: readonly PersistOutcome[];
  /** Forms whose rows or statistics changed, for cache invalidation. */
  readonly changedFormIds: readonly string[];
}

export type RunInTransaction = <T>(fn: (tx: TransactionClient) => Promise<T>) => Promise<T>;

/*
 * One INSERT for the whole batch: unnest() turns seven arrays into rows, so the
 * statement has seven parameters whatever the batch size (a VALUES list would
 * hit PostgreSQL's 65,535-parameter limit at ~9,000 rows). ON CONFLICT DO
 * NOTHING without a target covers the primary key (a job run twice) and the
 * (form_id, idempotency_key) key (a client retry that got a new id) alike, so
 * neither can fail the batch; RETURNING names the rows that really went in.
 */
const INSERT_SUBMISSIONS = `
  INSERT INTO submissions (id, form_id, form_version, data, idempotency_key, received_at, client_metadata)
  SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::jsonb[], $5::text[], $6::timestamptz[], $7::jsonb[])
  ON CONFLICT DO NOTHING
  RETURNING id`;

/* Counts only inserted rows. Form ids arrive sorted, so concurrent batches lock stats rows in one order and cannot deadlock. */
const UPSERT_FORM_STATS = `
  INSERT INTO form_stats (form_id, submission_count, last_submission_at, updated_at)
  SELECT form_id, n, last_at, now() FROM unnest($1::uuid[], $2::bigint[], $3::timestamptz[]) AS t(form_id, n, last_at)
  ON CONFLICT (form_id) DO UPDATE SET
    submission_count = form_stats.submission_count + EXCLUDED.submission_count,
    last_submission_at = GREATEST(form_stats.last_submission_at, EXCLUDED.last_submission_at),
    updated_at = now()`;

const ACTIVE_ENDPOINTS = `
  SELECT id, form_id FROM webhook_endpoints WHERE active AND form_id = ANY($1::uuid[]) ORDER BY id`;

const EXISTING_SUBMISSIONS = `SELECT id FROM submissions WHERE id = ANY($1::uuid[])`;

/** Writes a batch in one transaction: the rows, the statistics of the rows inserted, and who gets webhooks. */
export async function persistSubmissionBatch(
  inTransaction: RunInTransaction,
  jobs: readonly SubmissionJob[],
): Promise<BatchResult> {
  // Sorted by id: two batches holding the same re-run job wait on each other in one order, never in a cycle.
  const sorted = [...jobs].sort((a, b) => (a.submissionId < b.submissionId ? -1 : a.submissionId > b.submissionId ? 1 : 0));
  return inTransaction(async (tx) => {
    const inserted = await tx.query<{ id: string }>(INSERT_SUBMISSIONS, [
      sorted.map((job) => job.submissionId),
      sorted.map((job) => job.formId),
      sorted.map((job) => job.formVersion),
      sorted.map((job) => JSON.stringify(job.data)),
      sorted.map((job) => job.idempotencyKey),
      sorted.map((job) => job.receivedAt),
      sorted.map((job) => JSON.stringify(job.client)),
    ]);
    const insertedIds = new Set(inserted.rows.map((row) => row.id));

    const perForm = new Map<string, { count: number; lastAt: string }>();
    for (const job of sorted) {
      if (!insertedIds.has(job.submissionId)) continue;
      const entry = perForm.get(job.formId) ?? { count: 0, lastAt: job.receivedAt };
      entry.count += 1;
      if (Date.parse(job.receivedAt) > Date.parse(entry.lastAt)) entry.lastAt = job.receivedAt;
      perForm.set(job.formId, entry);
    }
    const changedFormIds = [...perForm.keys()].sort();
    if (changedFormIds.length > 0) {
      await tx.query(UPSERT_FORM_STATS, [
        changedFormIds,
        changedFormIds.map((id) => perForm.get(id)?.count),
        changedFormIds.map((id) => perForm.get(id)?.lastAt),
      ]);
    }

    const formIds = [...new Set(sorted.map((job) => job.formId))];
    const endpoints = await tx.query<{ id: string; form_id: string }>(ACTIVE_ENDPOINTS, [formIds]);
    const endpointsByForm = new Map<string, string[]>();
    for (const row of endpoints.rows) {
      endpointsByForm.set(row.form_id, [...(endpointsByForm.get(row.form_id) ?? []), row.id]);
    }

    // A job not inserted is either a re-run (its row exists: webhooks are enqueued
    // again under the same job ids, which BullMQ dedupes) or lost its idempotency
    // key to another submission (no row, so no webhooks). Rare, so asked only then.
    const notInserted = sorted.filter((job) => !insertedIds.has(job.submissionId)).map((job) => job.submissionId);
    const alreadyThere = new Set<string>();
    if (notInserted.length > 0) {
      const found = await tx.query<{ id: string }>(EXISTING_SUBMISSIONS, [notInserted]);
      for (const row of found.rows) alreadyThere.add(row.id);
    }

    const outcomes = jobs.map((job): PersistOutcome => {
      const webhookEndpointIds = endpointsByForm.get(job.formId) ?? [];
      if (insertedIds.has(job.submissionId)) return { status: 'stored', webhookEndpointIds };
      if (alreadyThere.has(job.submissionId)) return { status: 'duplicate', webhookEndpointIds };
      return { status: 'idempotent-replay', webhookEndpointIds: [] };
    });
    return { outcomes, changedFormIds };
  });
}

/** SQLSTATE classes 22 (data exception) and 23 (integrity constraint): the row itself is at fault. */
export function isRowError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || !('code' in error) || typeof error.code !== 'string') return false;
  return error.code.startsWith('22') || error.code.startsWith('23');
}

/**
 * Writes a batch; when the database refuses a row, writes each job alone so the
 * one at fault is rejected and its neighbours are stored.
 */
export async function persistIsolatingBadRows(
  inTransaction: RunInTransaction,
  jobs: readonly SubmissionJob[],
): Promise<BatchResult> {
  try {
    return await persistSubmissionBatch(inTransaction, jobs);
  } catch (error) {
    if (!isRowError(error)) throw error;
    if (jobs.length === 1) {
      return { outcomes: [{ status: 'rejected', reason: error instanceof Error ? error.message : String(error) }], changedFormIds: [] };
    }
    const outcomes: PersistOutcome[] = [];
    const changed = new Set<string>();
    for (const job of jobs) {
      const single = await persistIsolatingBadRows(inTransaction, [job]);
      outcomes.push(...single.outcomes);
      for (const id of single.changedFormIds) changed.add(id);
    }
    return { outcomes, changedFormIds: [...changed].sort() };
  }
}
