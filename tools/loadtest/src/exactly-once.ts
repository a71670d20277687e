import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';

export interface ExactlyOnceResult {
  accepted: number;
  storedOnce: number;
  /** Accepted (202) but not in the submissions table when the wait ended. */
  missing: number;
  /** Stored more than once (impossible with the primary key, counted all the same). */
  duplicated: number;
  /** Stored for the run's forms but never acknowledged to the client (e.g. a 202 lost in a time-out). */
  unacknowledged: number;
  drainSeconds: number;
  /** A few missing ids, to look up with GET /api/submissions/:id. */
  missingSample: string[];
  ok: boolean;
}

// Polling every half second keeps the check cheap while the worker drains.
const POLL_MS = 500;
// Ids per query: a uuid[] parameter of this size stays well under PostgreSQL's limits.
const CHUNK = 10_000;

async function countStored(client: Client, ids: readonly string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let i = 0; i < ids.length; i += CHUNK) {
    const { rows } = await client.query<{ id: string; n: string }>(
      'SELECT id::text, count(*) AS n FROM submissions WHERE id = ANY($1::uuid[]) GROUP BY id',
      [ids.slice(i, i + CHUNK)],
    );
    for (const row of rows) counts.set(row.id, Number(row.n));
  }
  return counts;
}

/**
 * Waits until every accepted submission is in the table (the queue drained) or
 * until nothing new arrived for `timeoutSeconds`, then counts rows per id.
 */
export async function verifyExactlyOnce(
  databaseUrl: string,
  acceptedIds: readonly string[],
  formIds: readonly string[],
  timeoutSeconds: number,
  onWait: (stored: number, accepted: number) => void = () => undefined,
): Promise<ExactlyOnceResult> {
  const client = new Client({ connectionString: databaseUrl, application_name: 'formscale:loadtest' });
  await client.connect();
  const started = Date.now();
  try {
    const unique = [...new Set(acceptedIds)];
    let counts = await countStored(client, unique);
    let lastProgress = Date.now();
    let lastStored = counts.size;
    while (counts.size < unique.length && Date.now() - lastProgress < timeoutSeconds * 1000) {
      onWait(counts.size, unique.length);
      await sleep(POLL_MS);
      counts = await countStored(client, unique);
      if (counts.size > lastStored) {
        lastStored = counts.size;
        lastProgress = Date.now();
      }
    }
    const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM submissions WHERE form_id = ANY($1::uuid[])', [formIds]);
    const storedForForms = Number(rows[0]?.n ?? 0);
    const storedRows = [...counts.values()].reduce((a, b) => a + b, 0);
    const missingIds = unique.filter((id) => !counts.has(id));
    const duplicated = [...counts.values()].filter((n) => n > 1).length + (acceptedIds.length - unique.length);
    const unacknowledged = Math.max(0, storedForForms - storedRows);
    return {
      accepted: acceptedIds.length,
      storedOnce: [...counts.values()].filter((n) => n === 1).length,
      missing: missingIds.length,
      duplicated,
      unacknowledged,
      drainSeconds: (Date.now() - started) / 1000,
      missingSample: missingIds.slice(0, 5),
      ok: missingIds.length === 0 && duplicated === 0,
    };
  } finally {
    await client.end();
  }
}
