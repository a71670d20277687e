import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { StackError } from './stack-error';

export interface StackSettings {
  /** The clone's root (the folder with nx.json). */
  rootDir: string;
  /** Git-ignored runtime state: .data/ in the clone. */
  dataDir: string;
  redisUrl: URL;
  primaryPort: number;
  replicaPorts: number[];
}

/** Defaults of the local stack; the apps' configuration uses the same ones. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
export const DEFAULT_PG_PRIMARY_PORT = 5433;
export const DEFAULT_PG_REPLICA_PORTS = '5434,5435';

export function readStackSettings(env: NodeJS.ProcessEnv = process.env, rootDir = findRepoRoot()): StackSettings {
  const redisUrl = parseRedisUrl(env['REDIS_URL'] || DEFAULT_REDIS_URL);
  const primaryPort = parsePort('PG_PRIMARY_PORT', env['PG_PRIMARY_PORT'] || String(DEFAULT_PG_PRIMARY_PORT));
  const replicaPorts = (env['PG_REPLICA_PORTS'] ?? DEFAULT_PG_REPLICA_PORTS)
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => parsePort('PG_REPLICA_PORTS', part));
  const all = [primaryPort, ...replicaPorts];
  if (new Set(all).size !== all.length) {
    throw new StackError(
      `PG_PRIMARY_PORT and PG_REPLICA_PORTS must all differ (got ${primaryPort} and "${replicaPorts.join(',')}"): ` +
        'set them to distinct free ports, e.g. PG_PRIMARY_PORT=5433 PG_REPLICA_PORTS=5434,5435',
    );
  }
  return { rootDir, dataDir: join(rootDir, '.data'), redisUrl, primaryPort, replicaPorts };
}

function parsePort(name: string, text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) {
    throw new StackError(`${name} must be a TCP port number from 1 to 65535 (got "${text}"), e.g. ${name}=5433`);
  }
  return port;
}

function parseRedisUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new StackError(`REDIS_URL must be a redis:// URL (got "${text}"), e.g. REDIS_URL=${DEFAULT_REDIS_URL}`);
  }
  if (url.protocol !== 'redis:') {
    throw new StackError(
      `REDIS_URL must use the redis:// scheme, the stack does not start TLS Redis (got "${text}"), e.g. REDIS_URL=${DEFAULT_REDIS_URL}`,
    );
  }
  return url;
}

export function redisPort(url: URL): number {
  return url.port === '' ? 6379 : Number(url.port);
}

/** The host part of a URL without IPv6 brackets, as net.connect wants it. */
export function redisHost(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

export function isLocalHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** The clone's root: the nearest folder above this file that holds nx.json. */
export function findRepoRoot(start = __dirname): string {
  let dir = resolve(start);
  while (!existsSync(join(dir, 'nx.json'))) {
    const parent = dirname(dir);
    if (parent === dir) {
      throw new StackError(`could not find the repository root (a folder with nx.json) above ${start}`);
    }
    dir = parent;
  }
  return dir;
}
