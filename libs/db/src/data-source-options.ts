import { DataSource, type DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from './migrations';
import { DEFAULT_POOL_SETTINGS, type PoolSettings } from './pool-settings';

export interface DataSourceSettings {
  /** The primary's URL: TypeORM writes, and migrations run, only there. */
  readonly url: string;
  readonly applicationName?: string;
  /** Pool settings of TypeORM's own pool (it cannot share the router's). */
  readonly pool?: Partial<PoolSettings>;
}

/** The migrations table; named for the app so it does not look like ours to other tools. */
export const MIGRATIONS_TABLE = 'formscale_migrations';

/**
 * Options of a TypeORM DataSource on the primary with every migration and the
 * given entities, passed as classes (a webpack bundle has no files to glob).
 * Never synchronize: the schema changes only through migrations.
 *
 * This file does not import the entities: the migration runner needs none, and
 * so runs under tsx, whose esbuild compiles decorators differently from tsc/swc.
 * createDataSource() in ./typeorm-data-source adds them.
 */
export function dataSourceOptions(settings: DataSourceSettings, entities: DataSourceOptions['entities']): DataSourceOptions {
  const pool = { ...DEFAULT_POOL_SETTINGS, ...settings.pool };
  return {
    type: 'postgres',
    url: settings.url,
    applicationName: settings.applicationName ?? 'formscale:typeorm',
    entities,
    migrations: MIGRATIONS,
    migrationsTableName: MIGRATIONS_TABLE,
    // One transaction per migration: a failure keeps the ones before it.
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    // Generated uuids use gen_random_uuid(), built in since PostgreSQL 13 (TypeORM
    // calls it the pgcrypto way); creating extensions needs rights an app should not have.
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    logging: ['error'],
    poolSize: pool.max,
    connectTimeoutMS: pool.connectionTimeoutMillis,
    extra: {
      min: pool.min,
      idleTimeoutMillis: pool.idleTimeoutMillis,
      connectionTimeoutMillis: pool.connectionTimeoutMillis,
      maxLifetimeSeconds: pool.maxLifetimeSeconds,
      statement_timeout: pool.statementTimeoutMillis,
      keepAlive: true,
    },
  };
}

/** A DataSource with the migrations only, for running them. */
export function createMigrationDataSource(settings: DataSourceSettings): DataSource {
  return new DataSource(dataSourceOptions(settings, []));
}
