import type { SubmissionJob } from '@formscale/contracts';
import type { QueryConfig, QueryResult, QueryResultRow } from 'pg';

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

/** Runs one statement on the primary; a single statement is its own transaction. */
export type Execute = <R extends QueryResultRow>(query: QueryConfig) => Promise<QueryResult<R>>;

/*
 * The whole batch in one statement, so one round trip and one commit:
 *
 * - The batch travels as one JSON array of the jobs' payloads (their keys are
 *   the column names below): one JSON.stringify per batch in the worker, no
 *   per-value array encoding, and one parameter whatever the batch size.
 * - ON CONFLICT DO NOTHING without a target covers the primary key (a job run
 *   twice) and the (form_id, idempotency_key) key (a client retry that got a
 *   new id) alike, so neither can fail the batch. Rows go in sorted by id and
 *   statistics rows by form id: two batches that touch the same rows wait on
 *   each other in one order, never in a cycle.
 * - The statistics count the rows RETURNING names, i.e. only rows really
 *   inserted, and commit with them: a statement is atomic, the data-modifying
 *   CTEs included, and PostgreSQL runs each of them exactly once.
 * - It answers with the ids it skipped (usually none) and the active webhook
 *   endpoints of the batch's forms.
 *
 * Named, so each connection parses and plans it once.
 */
const PERSIST_BATCH = {
  name: 'formscale-persist-submissions',
  text: `
  WITH input AS (
    SELECT * FROM jsonb_to_recordset($1::jsonb) AS t(
      "submissionId" uuid, "formId" uuid, "formVersion" int, data jsonb,
      "idempotencyKey" text, "receivedAt" timestamptz, client jsonb)
  ),
  inserted AS (
    INSERT INTO submissions (id, form_id, form_version, data, idempotency_key, received_at, client_metadata)
    SELECT "submissionId", "formId", "formVersion", data, "idempotencyKey", "receivedAt", client
    FROM input ORDER BY "submissionId"
    ON CONFLICT DO NOTHING
    RETURNING id, form_id, received_at
  ),
  counted AS (
    INSERT INTO form_stats (form_id, submission_count, last_submission_at, updated_at)
    SELECT form_id, count(*), max(received_at), now() FROM inserted GROUP BY form_id ORDER BY form_id
    ON CONFLICT (form_id) DO UPDATE SET
      submission_count = form_stats.submission_count + EXCLUDED.submission_count,
      last_submission_at = GREATEST(form_stats.last_submission_at, EXCLUDED.last_submission_at),
      updated_at = now()
  )
  SELECT
    (SELECT json_agg("submissionId") FROM input WHERE "submissionId" NOT IN (SELECT id FROM inserted)) AS skipped,
    (SELECT json_agg(json_build_array(form_id, id) ORDER BY id) FROM webhook_endpoints
      WHERE active AND form_id IN (SELECT "formId" FROM input)) AS endpoints`,
};

interface PersistBatchRow {
  /** Ids not inserted; null when every row went in. */
  skipped: string[] | null;
  /** [formId, endpointId] pairs; null when no form of the batch has an active endpoint. */
  endpoints: [string, string][] | null;
}

const EXISTING_SUBMISSIONS = `SELECT id FROM submissions WHERE id = ANY($1::uuid[])`;

/** Writes a batch in one statement: the rows, the statistics of the rows inserted, and who gets webhooks. */
export async function persistSubmissionBatch(execute: Execute, jobs: readonly SubmissionJob[]): Promise<BatchResult> {
  const { rows } = await execute<PersistBatchRow>({ ...PERSIST_BATCH, values: [JSON.stringify(jobs)] });
  const { skipped, endpoints } = rows[0] ?? { skipped: null, endpoints: null };

  const endpointsByForm = new Map<string, string[]>();
  for (const [formId, endpointId] of endpoints ?? []) {
    const list = endpointsByForm.get(formId);
    if (list === undefined) endpointsByForm.set(formId, [endpointId]);
    else list.push(endpointId);
  }

  // A job not inserted is either a re-run (its row exists: webhooks are enqueued
  // again under the same job ids, which BullMQ dedupes) or lost its idempotency
  // key to another submission (no row, so no webhooks). Rare, so asked only then,
  // after the commit: a row that is there stays there.
  const notInserted = new Set(skipped ?? []);
  const alreadyThere = new Set<string>();
  if (notInserted.size > 0) {
    const found = await execute<{ id: string }>({ text: EXISTING_SUBMISSIONS, values: [[...notInserted]] });
    for (const row of found.rows) alreadyThere.add(row.id);
  }

  const changed = new Set<string>();
  const outcomes = jobs.map((job): PersistOutcome => {
    const webhookEndpointIds = endpointsByForm.get(job.formId) ?? [];
    if (!notInserted.has(job.submissionId)) {
      changed.add(job.formId);
      return { status: 'stored', webhookEndpointIds };
    }
    if (alreadyThere.has(job.submissionId)) return { status: 'duplicate', webhookEndpointIds };
    return { status: 'idempotent-replay', webhookEndpointIds: [] };
  });
  return { outcomes, changedFormIds: [...changed].sort() };
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
export async function persistIsolatingBadRows(execute: Execute, jobs: readonly SubmissionJob[]): Promise<BatchResult> {
  try {
    return await persistSubmissionBatch(execute, jobs);
  } catch (error) {
    if (!isRowError(error)) throw error;
    if (jobs.length === 1) {
      return { outcomes: [{ status: 'rejected', reason: error instanceof Error ? error.message : String(error) }], changedFormIds: [] };
    }
    const outcomes: PersistOutcome[] = [];
    const changed = new Set<string>();
    for (const job of jobs) {
      const single = await persistIsolatingBadRows(execute, [job]);
      outcomes.push(...single.outcomes);
      for (const id of single.changedFormIds) changed.add(id);
    }
    return { outcomes, changedFormIds: [...changed].sort() };
  }
}
