/**
 * Applies pending migrations on the primary at DATABASE_URL, creating the
 * database if it is missing:  npx tsx libs/db/src/migrate-cli.ts
 */
import pino from 'pino';
import { DEFAULT_DATABASE_URL, runMigrations } from './migrate';
import { redactUrl } from './pool-settings';

const logger = pino({ name: 'migrate' });
const url = process.env['DATABASE_URL']?.trim() || DEFAULT_DATABASE_URL;

if (!/^postgres(ql)?:\/\//.test(url)) {
  logger.fatal({}, `DATABASE_URL must be a postgres:// URL such as ${DEFAULT_DATABASE_URL}, got ${redactUrl(url)}`);
  process.exit(2);
}

runMigrations({ url, logger }).then(
  () => process.exit(0),
  (error: unknown) => {
    logger.fatal(
      { url: redactUrl(url), err: error instanceof Error ? error.message : String(error) },
      'migrations failed; the database keeps every migration applied before the failing one',
    );
    process.exit(1);
  },
);
