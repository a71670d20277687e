import { formsApiConfig, loadConfig } from '@formscale/config';
import { DbLogger, runMigrations } from '@formscale/db';

/** Brings the primary's schema up to date; the same code as `npm run migrate`. */
export async function migrateDatabase(log: (line: string) => void): Promise<void> {
  const { databaseUrl } = loadConfig(formsApiConfig);
  const line = (fields: object, message: string) => log(`migrate: ${message} ${JSON.stringify(fields)}`);
  const logger: DbLogger = { info: line, warn: line, error: line };
  await runMigrations({ url: databaseUrl, logger });
}
