import { Client, escapeIdentifier } from 'pg';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createMigrationDataSource } from './data-source-options';
import { MIGRATIONS } from './migrations';
import { redactUrl } from './pool-settings';
import type { DbLogger } from './replica-router';

/** The local stack's primary. */
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5433/formscale';

/**
 * Key of the session advisory lock that serialises migration runs: several
 * instances starting at once (a deploy) must not apply the same migration twice.
 */
const MIGRATION_LOCK_KEY = 7_346_011_001;

/** Serialises CREATE DATABASE of the same name by several processes. */
const CREATE_DATABASE_LOCK_KEY = 7_346_011_003;

/** Database that always exists, to connect to while creating ours. */
const MAINTENANCE_DATABASE = 'postgres';

export interface MigrateOptions {
  /** The primary. */
  readonly url: string;
  readonly logger: DbLogger;
}

export interface AppliedMigration {
  readonly name: string;
  readonly ms: number;
}

/**
 * Creates the database if it is missing, then applies every pending migration
 * on the primary, one transaction each, under an advisory lock. Logs one line
 * per applied migration and returns them (empty when the schema was current).
 */
export async function runMigrations({ url, logger }: MigrateOptions): Promise<AppliedMigration[]> {
  if (await ensureDatabase(url)) logger.info({ database: databaseName(url) }, 'database created');
  const lock = new Client({ connectionString: url, application_name: 'formscale:migrate-lock' });
  await lock.connect();
  const durations = new Map<string, number>();
  // No statement_timeout: building an index on a big table may take minutes.
  const dataSource = createMigrationDataSource({ url, applicationName: 'formscale:migrate', pool: { max: 1, min: 0, statementTimeoutMillis: 0 } });
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    dataSource.setOptions({ migrations: MIGRATIONS.map((migration) => timed(migration, durations)) });
    await dataSource.initialize();
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    for (const migration of applied) {
      logger.info({ migration: migration.name, ms: durations.get(migration.name) }, 'migration applied');
    }
    if (applied.length === 0) logger.info({ database: databaseName(url) }, 'schema is current, no migration to apply');
    return applied.map((migration) => ({ name: migration.name, ms: durations.get(migration.name) ?? 0 }));
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await lock.end();
  }
}

/** The names of every migration this build knows, oldest first. */
export function migrationNames(): string[] {
  return MIGRATIONS.map((migration) => new migration().name);
}

/** CREATE DATABASE when it does not exist; true if it was created here. */
export async function ensureDatabase(url: string): Promise<boolean> {
  const name = databaseName(url);
  const admin = new Client({ connectionString: withDatabase(url, MAINTENANCE_DATABASE) });
  await admin.connect();
  try {
    // Two processes that both see it missing would race to CREATE it.
    await admin.query('SELECT pg_advisory_lock($1)', [CREATE_DATABASE_LOCK_KEY]);
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount !== 0) return false;
    await admin.query(`CREATE DATABASE ${escapeIdentifier(name)}`);
    return true;
  } finally {
    // Ending the session releases the lock.
    await admin.end();
  }
}

export function databaseName(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (name === '') throw new Error(`The database URL ${redactUrl(url)} names no database (expected .../formscale)`);
  return name;
}

/** The same server and credentials, another database. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

type MigrationClass = new () => MigrationInterface;

/** The same migration, recording how long its up() took. */
function timed(migration: MigrationClass, durations: Map<string, number>): MigrationClass {
  return class extends migration {
    override async up(queryRunner: QueryRunner): Promise<void> {
      const started = performance.now();
      await super.up(queryRunner);
      durations.set(this.name ?? migration.name, Math.round(performance.now() - started));
    }
  };
}
