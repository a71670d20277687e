/**
 * An error the user can act on: its message is one line that says what was
 * wrong and what to do. The CLI prints it without a stack trace.
 */
export class StackError extends Error {
  constructor(
    message: string,
    /** A log file that holds the details, printed after the message. */
    readonly logFile?: string,
  ) {
    super(message);
    this.name = 'StackError';
  }
}

export function missingRedisMessage(): string {
  return (
    'redis-server was not found on PATH: install the Debian package redis-server ' +
    '(`sudo apt-get install redis-server`, or `npm run system-deps`), ' +
    'or run the whole system with docker compose (infra/compose) instead'
  );
}

export function missingPostgresMessage(): string {
  return (
    'the PostgreSQL server programs (initdb, pg_ctl, pg_basebackup) were not found on PATH, ' +
    'via `pg_config --bindir`, or in /usr/lib/postgresql/<version>/bin: install the Debian package postgresql ' +
    '(`sudo apt-get install postgresql`, or `npm run system-deps`), ' +
    'or run the whole system with docker compose (infra/compose) instead'
  );
}

/** What holds a port the stack wanted, as far as a probe could tell. */
export type PortHolder =
  | { kind: 'program' }
  | { kind: 'postgres'; clusterName: string; dataDirectory?: string }
  | { kind: 'redis' };

export function portConflictMessage(port: number, envVar: string, holder: PortHolder): string {
  const what =
    holder.kind === 'postgres'
      ? `a PostgreSQL server that is not part of a formscale stack (cluster_name ${
          holder.clusterName === '' ? 'unset' : `'${holder.clusterName}'`
        })`
      : holder.kind === 'redis'
        ? 'a Redis server'
        : 'another program';
  return `port ${port} is in use by ${what}: set ${envVar} to a free port`;
}
