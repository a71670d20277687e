import { join } from 'node:path';
import { PgNodeResult, PgNodeStatus, pgDown, pgStatus, pgUp } from './pg-stack';
import { RedisUpResult, redisDown, redisStatus, redisUp } from './redis-stack';
import { StackSettings, readStackSettings } from './stack-settings';
import { withLock } from './stack-lock';
import { StatusRow, formatStatusTable } from './status-table';

export { StackError } from './stack-error';
export { formatStatusTable } from './status-table';
export type { StatusRow } from './status-table';
export type { PgNodeResult, PgNodeStatus } from './pg-stack';
export type { RedisUpResult } from './redis-stack';
export type { StackSettings } from './stack-settings';

export interface StackOptions {
  /** Progress lines; default: printed to stdout with a [stack] prefix. */
  log?: (line: string) => void;
  /** Default: read from process.env (REDIS_URL, PG_PRIMARY_PORT, PG_REPLICA_PORTS) for this clone. */
  settings?: StackSettings;
}

export interface StackUpResult {
  redis: RedisUpResult;
  postgres: PgNodeResult[];
  elapsedMs: number;
}

const printLine = (line: string) => process.stdout.write(`[stack] ${line}\n`);

function lockFile(settings: StackSettings): string {
  return join(settings.dataDir, 'stack.lock');
}

/**
 * Makes sure Redis and the PostgreSQL primary with its streaming replicas
 * run, starting what does not, reusing what does; returns when every replica
 * streams. Safe to call again and from parallel processes.
 */
export async function stackUp(options: StackOptions = {}): Promise<StackUpResult> {
  const log = options.log ?? printLine;
  const settings = options.settings ?? readStackSettings();
  const started = Date.now();
  return withLock(lockFile(settings), async () => {
    const redis = await redisUp(settings, log);
    const postgres = await pgUp(settings, log);
    const elapsedMs = Date.now() - started;
    const summary = [`redis ${redis.action}`, ...postgres.map((n) => `${n.component} ${n.action}${n.owner === 'other' ? ' (another clone)' : ''}`)];
    log(`up in ${(elapsedMs / 1000).toFixed(1)} s: ${summary.join(', ')}`);
    return { redis, postgres, elapsedMs };
  });
}

/** Stops what this clone started (its clusters and its redis-server); keeps their data. */
export async function stackDown(options: StackOptions = {}): Promise<void> {
  const log = options.log ?? printLine;
  const settings = options.settings ?? readStackSettings();
  await withLock(lockFile(settings), async () => {
    await pgDown(settings, log);
    await redisDown(settings, log);
  });
}

/** One row per component: Redis, the primary and each replica. */
export async function stackStatus(options: Pick<StackOptions, 'settings'> = {}): Promise<StatusRow[]> {
  const settings = options.settings ?? readStackSettings();
  const [redis, postgres] = await Promise.all([redisStatus(settings), pgStatus(settings)]);
  const redisRow: StatusRow = { component: 'redis', port: redis.port, pid: redis.pid, owner: redis.owner, state: redis.state, note: redis.url };
  return [redisRow, ...postgres.map((node: PgNodeStatus): StatusRow => ({ ...node }))];
}

export async function printStackStatus(options: Pick<StackOptions, 'settings'> = {}): Promise<void> {
  process.stdout.write(`${formatStatusTable(await stackStatus(options))}\n`);
}

/** Whether this call brought anything up, so the caller knows to stop it when it is done. */
export function startedAnything(result: StackUpResult): boolean {
  return result.redis.action === 'started' || result.postgres.some((node) => node.action !== 'reused');
}
