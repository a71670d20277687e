import type { PoolConfig } from 'pg';

/**
 * Settings of the pg Pool the router keeps per node (primary and each replica).
 * libs/db/README.md maps the seed's SQLAlchemy pool settings onto these.
 */
export interface PoolSettings {
  /**
   * Most connections this process opens to one node; further requests wait.
   * 10: PostgreSQL's default max_connections is 100, so ten app instances fit
   * beside admin sessions, and a node rarely serves more than ~4 active
   * queries per core faster than it serves 10.
   */
  readonly max: number;
  /**
   * Connections kept open even when idle, so a quiet instance's first request
   * does not pay a connection set-up. 2: enough for a trickle of traffic.
   */
  readonly min: number;
  /**
   * An idle connection above `min` is closed after this long. 10 s (pg's own
   * default): bursts reuse connections, a quiet instance gives server slots back.
   */
  readonly idleTimeoutMillis: number;
  /**
   * How long a query may wait for a pooled connection, including opening a new
   * one. pg's default is 0 = wait forever, which turns a saturated pool or a
   * black-holed host into hung requests. 5 s: far above a healthy connect
   * (milliseconds), below what an HTTP client waits, so the caller can answer 503.
   */
  readonly connectionTimeoutMillis: number;
  /**
   * A connection is closed (when idle) after this age. 30 min: connections
   * move to a new node after a fail-over or DNS change, and server processes do
   * not grow caches forever; reconnecting every 30 min costs nothing.
   */
  readonly maxLifetimeSeconds: number;
  /**
   * Server-side statement_timeout of every query. 30 s: no API request waits
   * that long, and a runaway query would hold a connection and, on a replica,
   * delay WAL replay through recovery conflicts.
   */
  readonly statementTimeoutMillis: number;
}

export const DEFAULT_POOL_SETTINGS: PoolSettings = {
  max: 10,
  min: 2,
  idleTimeoutMillis: 10_000,
  connectionTimeoutMillis: 5_000,
  maxLifetimeSeconds: 1_800,
  statementTimeoutMillis: 30_000,
};

/**
 * TCP keepalive on every connection, first probe after this idle time: finds a
 * peer that vanished without a FIN (a killed VM, a dropped NAT entry) on idle
 * connections before a query is sent on them.
 */
const KEEPALIVE_INITIAL_DELAY_MS = 10_000;

/** The pg PoolConfig for one node. */
export function poolConfig(url: string, applicationName: string, settings: PoolSettings): PoolConfig {
  return {
    connectionString: url,
    application_name: applicationName,
    max: settings.max,
    min: settings.min,
    idleTimeoutMillis: settings.idleTimeoutMillis,
    connectionTimeoutMillis: settings.connectionTimeoutMillis,
    maxLifetimeSeconds: settings.maxLifetimeSeconds,
    statement_timeout: settings.statementTimeoutMillis,
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEPALIVE_INITIAL_DELAY_MS,
  };
}

/** A node's name for logs and metric labels: host:port, never the credentials. */
export function nodeNameFromUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '5432'}`;
  } catch {
    throw new Error(`Not a PostgreSQL URL: expected postgres://user@host:port/database, got ${redactUrl(url)}`);
  }
}

/** The URL without its password, for error messages. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]+):[^@]*@/, '$1:***@');
}
