import { InitialSchema1795780800000 } from './1795780800000-initial-schema';

/**
 * Every migration, oldest first, as class references: TypeORM's glob loading
 * finds nothing in a webpack bundle. A new migration is added here.
 */
export const MIGRATIONS = [InitialSchema1795780800000];
