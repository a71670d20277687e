import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { isAbsolute, join, posix } from 'node:path';
import { z } from 'zod';

/**
 * Renders the one nginx configuration formscale runs everywhere: the local stack
 * (nginx in front of forms-api processes) and docker compose (the shipped
 * infra/nginx/nginx.conf) both come from nginx.conf.template, so they cannot drift.
 */

const TEMPLATE_DIR = __dirname;
const MAIN_TEMPLATE = join(TEMPLATE_DIR, 'nginx.conf.template');
const RATE_LIMITS_TEMPLATE = join(TEMPLATE_DIR, 'rate-limits.conf.template');

/** The file name nginx.conf includes; nginx resolves it next to nginx.conf. */
export const RATE_LIMITS_FILE = 'rate-limits.conf';

// A passive health check is all open-source nginx has: after this many failed
// attempts within the window an instance is left out for the window's length.
// Three keeps one slow response from ejecting a healthy instance.
export const UPSTREAM_MAX_FAILS = 3;
// Ten seconds is long enough for a crashed instance to be restarted or removed
// by its orchestrator, short enough to take a recovered one back quickly.
export const UPSTREAM_FAIL_TIMEOUT = '10s';

const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'expected host:port, e.g. 127.0.0.1:3000 or forms-api:3000');
const nginxPath = z
  .string()
  .min(1)
  .regex(/^[^\s;{}'"]+$/, 'expected a path without spaces, quotes, braces or semicolons');
const nginxSize = z.string().regex(/^\d+[kKmMgG]?$/, 'expected an nginx size such as 10m or 256m');
const nginxTime = z.string().regex(/^\d+(ms|s|m|h)$/, 'expected an nginx time such as 2s or 10m');
const port = z.number().int().min(1).max(65535);

export const rateLimitsSchema = z.object({
  /** Sustained GET/HEAD requests per second per client address. */
  readPerSecond: z.number().int().positive(),
  /** Requests a client may send above the read rate before it gets 429. */
  readBurst: z.number().int().nonnegative(),
  /** Sustained writes (POST, PUT, PATCH, DELETE) per second per client address. */
  writePerSecond: z.number().int().positive(),
  writeBurst: z.number().int().nonnegative(),
});
export type RateLimits = z.infer<typeof rateLimitsSchema>;

/**
 * Limits for public traffic: a person filling in forms sends a handful of reads
 * and one submission per page; a script sending 50 reads a second from one
 * address is not a person. The bursts absorb a page load's parallel requests.
 */
export const DEFAULT_RATE_LIMITS: RateLimits = {
  readPerSecond: 50,
  readBurst: 100,
  writePerSecond: 10,
  writeBurst: 20,
};

/**
 * For load tests, whose thousands of connections all come from one address:
 * high enough never to be reached on one machine.
 */
export const LIFTED_RATE_LIMITS: RateLimits = {
  readPerSecond: 1_000_000,
  readBurst: 1_000_000,
  writePerSecond: 1_000_000,
  writeBurst: 1_000_000,
};

export const nginxConfigOptionsSchema = z
  .object({
    /** forms-api instances as host:port; a host name that resolves to several addresses adds them all. */
    upstreams: z.array(hostPort).min(1, 'expected at least one forms-api instance (host:port)'),
    listenPort: port,
    /** Address the public server binds: 127.0.0.1 for the local stack, 0.0.0.0 in a container. */
    listenHost: z.string().min(1).default('127.0.0.1'),
    statusPort: port,
    statusHost: z.string().min(1).default('127.0.0.1'),
    /** Addresses or CIDR ranges (besides loopback) that may read /stub_status, e.g. a metrics exporter's network. */
    statusAllow: z.array(z.string().regex(/^[0-9a-fA-F.:]+(\/\d{1,3})?$/, 'expected an address or CIDR')).default([]),
    cacheDir: nginxPath,
    tempDir: nginxPath,
    pidFile: nginxPath,
    /** Writes access.log and error.log here; accessLog/errorLog override each (e.g. /dev/stdout and stderr). */
    logDir: nginxPath.optional(),
    accessLog: nginxPath.optional(),
    errorLog: nginxPath.optional(),
    errorLogLevel: z.enum(['debug', 'info', 'notice', 'warn', 'error', 'crit']).default('warn'),
    workerProcesses: z.union([z.literal('auto'), z.number().int().positive()]).default('auto'),
    // 16,384 connections per worker: with two workers that covers the 10,000
    // client connections of the load test plus one upstream connection each.
    workerConnections: z.number().int().positive().default(16_384),
    workerRlimitNofile: z.number().int().positive().default(65_536),
    // One megabyte of keys holds about 8,000 cache entries; ten hold every form
    // a large tenant has.
    cacheKeysZone: nginxSize.default('10m'),
    cacheMaxSize: nginxSize.default('256m'),
    // A form nobody reads for ten minutes leaves the cache even if still fresh.
    cacheInactive: nginxTime.default('10m'),
    // Idle connections kept open to the instances, per worker: enough for the
    // steady request rate, so few requests pay for a new TCP connection.
    upstreamKeepalive: z.number().int().positive().default(64),
    // An instance that does not accept a connection in 2 s is down or
    // overloaded; trying the next one is faster than waiting.
    proxyConnectTimeout: nginxTime.default('2s'),
    nextUpstreamTries: z.number().int().positive().default(3),
    nextUpstreamTimeout: nginxTime.default('10s'),
    rateLimits: rateLimitsSchema.default(DEFAULT_RATE_LIMITS),
  })
  .refine((o) => o.logDir !== undefined || (o.accessLog !== undefined && o.errorLog !== undefined), {
    message: 'expected logDir, or both accessLog and errorLog',
  });

export type NginxConfigOptions = z.input<typeof nginxConfigOptionsSchema>;
type ResolvedOptions = z.output<typeof nginxConfigOptionsSchema>;

export function parseNginxConfigOptions(options: NginxConfigOptions): ResolvedOptions {
  const parsed = nginxConfigOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`);
    throw new Error(`invalid nginx options: ${problems.join('; ')}`);
  }
  return parsed.data;
}

function fillTemplate(template: string, values: Record<string, string>, templateName: string): string {
  const out = template.replace(/\{\{([A-Z_]+)\}\}/g, (_match, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`${templateName} uses {{${name}}}, which render.ts does not provide`);
    return value;
  });
  return out;
}

function listenAddress(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The main nginx.conf for the given instances, ports and paths. */
export function renderNginxConfig(options: NginxConfigOptions): string {
  const o = parseNginxConfigOptions(options);
  const upstreamServers = o.upstreams
    .map((u) => `        server ${u} max_fails=${UPSTREAM_MAX_FAILS} fail_timeout=${UPSTREAM_FAIL_TIMEOUT};`)
    .join('\n');
  const statusAllow = ['127.0.0.1', '::1', ...o.statusAllow].map((a) => `            allow ${a};`).join('\n');
  return fillTemplate(
    readFileSync(MAIN_TEMPLATE, 'utf8'),
    {
      WORKER_PROCESSES: String(o.workerProcesses),
      WORKER_RLIMIT_NOFILE: String(o.workerRlimitNofile),
      WORKER_CONNECTIONS: String(o.workerConnections),
      PID_FILE: o.pidFile,
      ERROR_LOG: o.errorLog ?? `${o.logDir}/error.log`,
      ERROR_LOG_LEVEL: o.errorLogLevel,
      ACCESS_LOG: o.accessLog ?? `${o.logDir}/access.log`,
      CLIENT_BODY_TEMP: posix.join(o.tempDir, 'client_body'),
      PROXY_TEMP: posix.join(o.tempDir, 'proxy'),
      FASTCGI_TEMP: posix.join(o.tempDir, 'fastcgi'),
      UWSGI_TEMP: posix.join(o.tempDir, 'uwsgi'),
      SCGI_TEMP: posix.join(o.tempDir, 'scgi'),
      CACHE_DIR: o.cacheDir,
      CACHE_KEYS_ZONE: o.cacheKeysZone,
      CACHE_MAX_SIZE: o.cacheMaxSize,
      CACHE_INACTIVE: o.cacheInactive,
      RATE_LIMITS_INCLUDE: RATE_LIMITS_FILE,
      UPSTREAM_SERVERS: upstreamServers,
      UPSTREAM_KEEPALIVE: String(o.upstreamKeepalive),
      LISTEN: listenAddress(o.listenHost, o.listenPort),
      STATUS_LISTEN: listenAddress(o.statusHost, o.statusPort),
      STATUS_ALLOW: statusAllow,
      PROXY_CONNECT_TIMEOUT: o.proxyConnectTimeout,
      NEXT_UPSTREAM_TRIES: String(o.nextUpstreamTries),
      NEXT_UPSTREAM_TIMEOUT: o.nextUpstreamTimeout,
    },
    'nginx.conf.template',
  );
}

// Ten megabytes of state hold about 160,000 client addresses per zone.
const RATE_LIMIT_ZONE_SIZE = '10m';

// nginx rejects burst=0; no burst option means the same. nodelay serves a burst
// at once instead of spacing it out, which would only add latency.
function burstOptions(burst: number): string {
  return burst === 0 ? '' : ` burst=${burst} nodelay`;
}

/** The rate-limits.conf that nginx.conf includes in its http block. */
export function renderRateLimitsConfig(limits: RateLimits = DEFAULT_RATE_LIMITS): string {
  const parsed = rateLimitsSchema.safeParse(limits);
  if (!parsed.success) {
    throw new Error(`invalid rate limits: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const l = parsed.data;
  return fillTemplate(
    readFileSync(RATE_LIMITS_TEMPLATE, 'utf8'),
    {
      ZONE_SIZE: RATE_LIMIT_ZONE_SIZE,
      READ_RATE: String(l.readPerSecond),
      READ_BURST: burstOptions(l.readBurst),
      WRITE_RATE: String(l.writePerSecond),
      WRITE_BURST: burstOptions(l.writeBurst),
    },
    'rate-limits.conf.template',
  );
}

export interface WrittenNginxConfig {
  /** Pass as `nginx -c`. */
  confPath: string;
  rateLimitsPath: string;
}

/**
 * Writes nginx.conf and rate-limits.conf into confDir and creates the cache,
 * temp and log folders that absolute paths in the options name, so that
 * `nginx -p <prefix> -c <confPath> -e <early error log> -g 'daemon off;'` can start at once.
 */
export function writeNginxConfig(confDir: string, options: NginxConfigOptions): WrittenNginxConfig {
  const o = parseNginxConfigOptions(options);
  for (const dir of [confDir, o.cacheDir, o.tempDir, o.logDir]) {
    if (dir !== undefined && isAbsolute(dir)) mkdirSync(dir, { recursive: true });
  }
  const confPath = join(confDir, 'nginx.conf');
  const rateLimitsPath = join(confDir, RATE_LIMITS_FILE);
  writeFileSync(confPath, renderNginxConfig(options));
  writeFileSync(rateLimitsPath, renderRateLimitsConfig(o.rateLimits));
  return { confPath, rateLimitsPath };
}

/**
 * The `-g` directives for an nginx that a local tool runs in the foreground
 * (npm start, bench:scaling) with its prefix in the clone. Started by root,
 * nginx runs its workers as `nobody`, who cannot enter a clone under a private
 * folder (/root, a mkdtemp folder): the cache there cannot be written, every
 * cached read answers 500 and nginx closes the connection after it. The
 * workers run as the user who started them instead, like the apps beside them.
 */
export function foregroundGlobals(uid: number | undefined = process.getuid?.(), username = userInfo().username): string {
  return uid === 0 ? `daemon off; user ${username};` : 'daemon off;';
}

/**
 * The values of the shipped infra/nginx/nginx.conf, which docker compose mounts at
 * /etc/nginx/nginx.conf and starts with `nginx -p /var/cache/nginx/`: runtime
 * paths are relative to that prefix, logs go to the container's stdout and stderr.
 * `forms-api` resolves to every replica, so each becomes an upstream server.
 */
export const COMPOSE_NGINX_OPTIONS: NginxConfigOptions = {
  upstreams: ['forms-api:3000'],
  listenHost: '0.0.0.0',
  listenPort: 8080,
  statusHost: '0.0.0.0',
  statusPort: 8081,
  // Compose and Swarm networks are private ranges; a metrics exporter on them may scrape.
  statusAllow: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'],
  cacheDir: 'cache',
  // nginx makes a temp folder but not its parent: keep them directly in the prefix.
  tempDir: '.',
  pidFile: 'nginx.pid',
  accessLog: '/dev/stdout',
  errorLog: 'stderr',
  rateLimits: DEFAULT_RATE_LIMITS,
};

/** Where the shipped compose configuration lives. */
export const SHIPPED_CONFIG_DIR = TEMPLATE_DIR;

/** Re-renders the shipped infra/nginx/nginx.conf and rate-limits.conf. */
export function writeShippedNginxConfig(): WrittenNginxConfig {
  return writeNginxConfig(SHIPPED_CONFIG_DIR, COMPOSE_NGINX_OPTIONS);
}

if (require.main === module) {
  const written = writeShippedNginxConfig();
  process.stdout.write(`${JSON.stringify({ msg: 'nginx config rendered', ...written })}\n`);
}
