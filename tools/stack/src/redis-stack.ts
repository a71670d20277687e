import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { which } from './pg-binaries';
import { isAlive } from './process-alive';
import { RedisProbe, probeRedis } from './redis-probe';
import { runStep } from './run-command';
import { StackError, missingRedisMessage, portConflictMessage } from './stack-error';
import { StackSettings, isLocalHost, redisHost, redisPort } from './stack-settings';
import { waitFor } from './tcp-probe';

/** A fresh redis-server loads an empty AOF in milliseconds; this bound only catches one that never answers. */
export const REDIS_START_TIMEOUT_MS = 15_000;
/** SHUTDOWN flushes the AOF, which is small on a dev box. */
export const REDIS_STOP_TIMEOUT_MS = 15_000;

export type Ownership = 'this clone' | 'other';

export interface RedisState {
  url: string;
  port: number;
  pid?: number;
  owner?: Ownership;
  state: 'running' | 'stopped';
}

export interface RedisUpResult extends RedisState {
  action: 'started' | 'reused';
}

interface RedisPaths {
  dir: string;
  pidFile: string;
  logFile: string;
}

export function redisPaths(settings: StackSettings): RedisPaths {
  const dir = join(settings.dataDir, 'redis');
  return { dir, pidFile: join(dir, 'redis-server.pid'), logFile: join(dir, 'redis-server.log') };
}

export async function redisUp(settings: StackSettings, log: (line: string) => void): Promise<RedisUpResult> {
  const url = settings.redisUrl;
  const host = redisHost(url);
  const port = redisPort(url);
  const found = await probeRedis(url, host, port);
  if (found.kind === 'redis') {
    const state = describe(settings, found);
    log(`redis: reusing the Redis at ${redactedUrl(url)}${state.owner === 'this clone' ? ' (started by this clone)' : ''}`);
    return { ...state, action: 'reused' };
  }
  if (found.kind === 'other') throw new StackError(portConflictMessage(port, 'REDIS_URL', { kind: 'program' }));
  if (!isLocalHost(host)) {
    throw new StackError(
      `nothing answers at REDIS_URL (${redactedUrl(url)}) and the stack only starts Redis on this machine: ` +
        'start that Redis, or unset REDIS_URL to use a local one on 127.0.0.1:6379',
    );
  }

  // Not resolved through symlinks: redis-server picks its mode from its program name.
  const redisServer = which('redis-server');
  if (!redisServer) throw new StackError(missingRedisMessage());
  const paths = redisPaths(settings);
  mkdirSync(paths.dir, { recursive: true });
  log(`redis: starting redis-server on port ${port} (data in ${paths.dir})`);
  await runStep('starting redis-server', redisServer, redisServerArgs(url, port, paths), { logFile: paths.logFile });
  const started = await waitFor(async () => {
    const probe = await probeRedis(url, host, port);
    return probe.kind === 'redis' ? probe : undefined;
  }, REDIS_START_TIMEOUT_MS);
  if (!started) {
    throw new StackError(`redis-server did not answer on port ${port} within ${REDIS_START_TIMEOUT_MS / 1000} s`, paths.logFile);
  }
  return { ...describe(settings, started), action: 'started' };
}

function redisServerArgs(url: URL, port: number, paths: RedisPaths): string[] {
  const args = [
    '--port', String(port),
    // Loopback only; the leading '-' lets it start where IPv6 is off.
    '--bind', '127.0.0.1', '-::1',
    '--dir', paths.dir,
    '--daemonize', 'yes',
    '--pidfile', paths.pidFile,
    '--logfile', paths.logFile,
    // Queued submissions must survive a restart: the append-only file is
    // written every second, as a managed Redis with persistence does.
    '--appendonly', 'yes',
    '--appendfsync', 'everysec',
    // The AOF already persists everything; RDB snapshots would only add forks.
    '--save', '',
    // BullMQ requires it: evicting queue keys would lose jobs silently.
    '--maxmemory-policy', 'noeviction',
  ];
  if (url.password !== '') args.push('--requirepass', decodeURIComponent(url.password));
  return args;
}

export async function redisDown(settings: StackSettings, log: (line: string) => void): Promise<void> {
  const pid = ownedRedisPid(settings);
  if (pid === undefined) {
    log('redis: not started by this clone, leaving it alone');
    return;
  }
  log(`redis: stopping redis-server (pid ${pid}); its data stays in ${redisPaths(settings).dir}`);
  // SIGTERM is Redis's SHUTDOWN: it flushes the append-only file, then exits.
  process.kill(pid, 'SIGTERM');
  const gone = await waitFor(async () => (isAlive(pid) ? undefined : true), REDIS_STOP_TIMEOUT_MS);
  if (!gone) throw new StackError(`redis-server (pid ${pid}) did not stop within ${REDIS_STOP_TIMEOUT_MS / 1000} s`, redisPaths(settings).logFile);
  rmSync(redisPaths(settings).pidFile, { force: true });
}

export async function redisStatus(settings: StackSettings): Promise<RedisState> {
  const url = settings.redisUrl;
  const found = await probeRedis(url, redisHost(url), redisPort(url));
  if (found.kind === 'redis') return describe(settings, found);
  return { url: redactedUrl(url), port: redisPort(url), state: 'stopped' };
}

function describe(settings: StackSettings, found: Extract<RedisProbe, { kind: 'redis' }>): RedisState {
  const ownPid = ownedRedisPid(settings);
  const pid = found.pid ?? ownPid;
  return {
    url: redactedUrl(settings.redisUrl),
    port: redisPort(settings.redisUrl),
    pid,
    owner: ownPid !== undefined && ownPid === pid ? 'this clone' : 'other',
    state: 'running',
  };
}

/** The pid of the redis-server this clone started, if it still runs. */
function ownedRedisPid(settings: StackSettings): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(redisPaths(settings).pidFile, 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
  // A pid file left by a crash may name a pid the system has since reused:
  // Redis titles its process "redis-server <bind>:<port>", so check both.
  try {
    const title = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!title.includes('redis-server') || !title.includes(`:${redisPort(settings.redisUrl)}`)) return undefined;
  } catch {
    // No /proc (macOS): the live pid from our own pid file is the best we have.
  }
  return pid;
}

function redactedUrl(url: URL): string {
  if (url.password === '') return url.toString();
  const copy = new URL(url.toString());
  copy.password = '***';
  return copy.toString();
}
