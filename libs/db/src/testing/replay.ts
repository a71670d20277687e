import { Client } from 'pg';

const REPLAY_TIMEOUT_MS = 30_000;
const REPLAY_POLL_MS = 25;

/**
 * Waits until every replica has replayed all the primary has written so far,
 * so a read sent to any of them sees it (and a replay paused afterwards holds
 * back only later writes).
 */
export async function waitForReplay(primaryUrl: string, replicaUrls: readonly string[]): Promise<void> {
  const primary = new Client({ connectionString: primaryUrl, application_name: 'formscale:testing' });
  await primary.connect();
  let lsn: string;
  try {
    lsn = (await primary.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0].lsn;
  } finally {
    await primary.end();
  }
  await Promise.all(replicaUrls.map((url) => waitForLsn(url, lsn)));
}

async function waitForLsn(replicaUrl: string, lsn: string): Promise<void> {
  const replica = new Client({ connectionString: replicaUrl, application_name: 'formscale:testing' });
  await replica.connect();
  try {
    const deadline = Date.now() + REPLAY_TIMEOUT_MS;
    const sql = 'SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS ok';
    while ((await replica.query<{ ok: boolean | null }>(sql, [lsn])).rows[0].ok !== true) {
      if (Date.now() > deadline) {
        const where = new URL(replicaUrl).host;
        throw new Error(`The replica at ${where} did not replay up to ${lsn} within ${REPLAY_TIMEOUT_MS / 1000} s. Is its replay paused or the replica down?`);
      }
      await new Promise((resolve) => setTimeout(resolve, REPLAY_POLL_MS));
    }
  } finally {
    await replica.end();
  }
}
