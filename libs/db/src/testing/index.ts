import { randomBytes } from 'node:crypto';
import { Client, escapeIdentifier } from 'pg';
import { MIGRATIONS_TABLE } from '../data-source-options';
import { DEFAULT_DATABASE_URL, migrationNames, runMigrations, withDatabase } from '../migrate';
import type { DbLogger } from '../replica-router';

/**
 * Databases for integration tests: each test file gets its own, cloned from a
 * migrated template on the primary, so files run side by side and start clean.
 *
 *   let db: TestDatabase;
 *   beforeAll(async () => { db = await createTestDatabase({ label: 'submissions' }); });
 *   afterAll(() => db.drop());
 */

/** The migrated database every test database is cloned from. */
export const TEMPLATE_DATABASE = 'formscale_template';

/** The local stack's replicas, when DATABASE_REPLICA_URLS is not set. */
export const DEFAULT_REPLICA_URLS = [
  'postgres://postgres@127.0.0.1:5434/formscale',
  'postgres://postgres@127.0.0.1:5435/formscale',
];

/** Serialises template checks and clones across test files (CREATE ... TEMPLATE fails while anyone is connected to the template). */
const TEMPLATE_LOCK_KEY = 7_346_011_002;

/** How long a new database may take to show up on a replica: replay is usually milliseconds behind. */
const REPLICA_VISIBLE_TIMEOUT_MS = 30_000;
const REPLICA_POLL_MS = 50;

export interface TestDatabaseOptions {
  /** Part of the database name, to tell whose it is (e.g. the test file). */
  readonly label?: string;
  /** Default: DATABASE_URL, else the local stack's primary. */
  readonly primaryUrl?: string;
  /** Default: DATABASE_REPLICA_URLS, else the local stack's replicas. [] skips waiting for replicas. */
  readonly replicaUrls?: readonly string[];
}

export interface TestDatabase {
  readonly name: string;
  /** The new database on the primary. */
  readonly url: string;
  /** The new database on each replica. */
  readonly replicaUrls: readonly string[];
  /** DROP DATABASE ... WITH (FORCE): also ends connections left open. */
  drop(): Promise<void>;
}

const silent: DbLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

export async function createTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const primaryUrl = options.primaryUrl ?? (process.env['DATABASE_URL'] || DEFAULT_DATABASE_URL);
  const replicaUrls = options.replicaUrls ?? replicaUrlsFromEnv();
  const name = testDatabaseName(options.label ?? 'test');
  const admin = await adminClient(primaryUrl);
  try {
    await admin.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK_KEY]);
    try {
      await ensureTemplate(admin, primaryUrl);
      await admin.query(`CREATE DATABASE ${escapeIdentifier(name)} TEMPLATE ${escapeIdentifier(TEMPLATE_DATABASE)}`);
    } finally {
      await admin.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK_KEY]);
    }
  } finally {
    await admin.end();
  }
  await Promise.all(replicaUrls.map((url) => waitForDatabase(url, name)));
  return {
    name,
    url: withDatabase(primaryUrl, name),
    replicaUrls: replicaUrls.map((url) => withDatabase(url, name)),
    drop: () => dropDatabase(primaryUrl, name),
  };
}

/** Makes sure the template exists and has exactly this build's migrations; rebuilds it otherwise. */
async function ensureTemplate(admin: Client, primaryUrl: string): Promise<void> {
  const templateUrl = withDatabase(primaryUrl, TEMPLATE_DATABASE);
  const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [TEMPLATE_DATABASE]);
  if (exists.rowCount !== 0 && (await appliedMigrations(templateUrl)).join() === migrationNames().join()) return;
  await admin.query(`DROP DATABASE IF EXISTS ${escapeIdentifier(TEMPLATE_DATABASE)} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${escapeIdentifier(TEMPLATE_DATABASE)}`);
  await runMigrations({ url: templateUrl, logger: silent });
}

async function appliedMigrations(url: string): Promise<string[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const table = await client.query('SELECT to_regclass($1) AS t', [MIGRATIONS_TABLE]);
    if (table.rows[0].t === null) return [];
    const { rows } = await client.query<{ name: string }>(
      `SELECT name FROM ${escapeIdentifier(MIGRATIONS_TABLE)} ORDER BY timestamp`,
    );
    return rows.map((row) => row.name);
  } finally {
    await client.end();
  }
}

/** Polls the replica until the new database has been replayed there. */
async function waitForDatabase(replicaUrl: string, name: string): Promise<void> {
  const deadline = Date.now() + REPLICA_VISIBLE_TIMEOUT_MS;
  const client = await adminClient(replicaUrl);
  try {
    for (;;) {
      const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (rowCount !== 0) return;
      if (Date.now() > deadline) {
        throw new Error(
          `Test database ${name} did not appear on the replica ${withDatabase(replicaUrl, '')} within ` +
            `${REPLICA_VISIBLE_TIMEOUT_MS / 1000} s. Is its replay paused (SELECT pg_wal_replay_resume()) or the replica down?`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, REPLICA_POLL_MS));
    }
  } finally {
    await client.end();
  }
}

async function dropDatabase(primaryUrl: string, name: string): Promise<void> {
  const admin = await adminClient(primaryUrl);
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

async function adminClient(url: string): Promise<Client> {
  const client = new Client({ connectionString: withDatabase(url, 'postgres'), application_name: 'formscale:testing' });
  await client.connect();
  return client;
}

function replicaUrlsFromEnv(): string[] {
  const value = process.env['DATABASE_REPLICA_URLS'];
  if (value === undefined) return DEFAULT_REPLICA_URLS;
  return value
    .split(',')
    .map((url) => url.trim())
    .filter((url) => url !== '');
}

/** formscale_test_<label>_<pid>_<random>, within PostgreSQL's 63-byte limit. */
function testDatabaseName(label: string): string {
  const slug = label.toLowerCase().replace(/[^a-z0-9]+/g, '_').slice(0, 24);
  return `formscale_test_${slug}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

export { pauseReplay, resumeReplay, startThrowawayReplica, type ThrowawayReplica } from './throwaway-replica';
export { startThrowawayPrimary, type ThrowawayPrimary } from './throwaway-primary';
export type { ThrowawayCluster } from './throwaway-cluster';
export { createPublishedForm, queryOne } from './form-fixtures';
export { waitForReplay } from './replay';
