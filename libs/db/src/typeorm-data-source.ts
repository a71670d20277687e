import { DataSource } from 'typeorm';
import { dataSourceOptions, type DataSourceSettings } from './data-source-options';
import { ENTITIES } from './entities';

/**
 * A TypeORM DataSource on the primary with every entity and migration.
 * Call initialize() before use and destroy() at the end. Reads that may go to
 * a replica go through the ReplicaRouter instead (see README: TypeORM queries
 * through the router).
 */
export function createDataSource(settings: DataSourceSettings): DataSource {
  return new DataSource(dataSourceOptions(settings, ENTITIES));
}
