import { z } from 'zod';
import { boolean, envVar, httpUrl, integer, list, oneOf, port, postgresUrl, redisUrl } from './env-var';

/*
 * Every variable any formscale process reads. Defaults serve the local stack
 * (`npm start`): Redis on 6379, a PostgreSQL primary on 5433 and replicas on
 * 5434/5435 made by tools/stack. .env.example documents the same list, and a
 * test keeps the two in step.
 */

export const NODE_ENV = envVar({
  name: 'NODE_ENV',
  schema: oneOf(['development', 'production', 'test']),
  default: 'development',
  description: 'Runtime mode; production turns off developer conveniences.',
  expected: 'one of development, production, test',
  example: 'production',
});

export const LOG_LEVEL = envVar({
  name: 'LOG_LEVEL',
  schema: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  default: 'info',
  description: 'Lowest pino level written to stdout.',
  expected: 'one of fatal, error, warn, info, debug, trace, silent',
  example: 'debug',
});

export const HOST = envVar({
  name: 'HOST',
  schema: z.string().trim().min(1),
  // Loopback by default so a laptop does not expose the stack; containers set 0.0.0.0.
  default: '127.0.0.1',
  description: 'Address the HTTP servers bind to (0.0.0.0 in containers).',
  expected: 'a host name or IP address',
  example: '0.0.0.0',
});

export const INSTANCE_ID = envVar({
  name: 'INSTANCE_ID',
  schema: z.string().trim().max(128),
  default: '',
  description: 'Name of this process in logs and metrics samples; empty = host name and pid.',
  expected: 'at most 128 characters',
  example: 'forms-api-1',
});

export const FORMS_API_PORT = envVar({
  name: 'FORMS_API_PORT',
  schema: port(),
  default: '3000',
  description: 'HTTP port of the forms API.',
  expected: 'an integer from 1 to 65535',
  example: '3000',
});

export const WORKER_PORT = envVar({
  name: 'WORKER_PORT',
  schema: port(),
  default: '3001',
  description: 'HTTP port of the worker (health and /metrics only).',
  expected: 'an integer from 1 to 65535',
  example: '3001',
});

export const COLLECTOR_PORT = envVar({
  name: 'COLLECTOR_PORT',
  schema: port(),
  default: '3002',
  description: 'HTTP port of the metrics collector (dashboard, JSON API, /metrics).',
  expected: 'an integer from 1 to 65535',
  example: '3002',
});

export const SCALER_PORT = envVar({
  name: 'SCALER_PORT',
  schema: port(),
  default: '3003',
  description: 'HTTP port of the scaler (health and /metrics only).',
  expected: 'an integer from 1 to 65535',
  example: '3003',
});

export const REDIS_URL = envVar({
  name: 'REDIS_URL',
  schema: redisUrl(),
  default: 'redis://127.0.0.1:6379',
  description: 'Redis for queues, cache and events (needs maxmemory-policy noeviction in production).',
  expected: 'a redis:// or rediss:// URL',
  example: 'redis://127.0.0.1:6379',
});

export const QUEUE_PREFIX = envVar({
  name: 'QUEUE_PREFIX',
  // A hash tag keeps every key of a queue in one Redis Cluster slot, as BullMQ requires.
  schema: z.string().trim().regex(/^\{[^{}]+\}$/),
  default: '{formscale}',
  description: 'Key prefix of every BullMQ queue and cache key; a {hash tag} so Redis Cluster works.',
  expected: 'a Redis Cluster hash tag in braces',
  example: '{formscale}',
});

export const DATABASE_URL = envVar({
  name: 'DATABASE_URL',
  schema: postgresUrl(),
  default: 'postgres://postgres@127.0.0.1:5433/formscale',
  description: 'PostgreSQL primary: every write and transaction goes here.',
  expected: 'a postgres:// or postgresql:// URL',
  example: 'postgres://formscale:secret@db-primary:5432/formscale',
});

export const DATABASE_REPLICA_URLS = envVar({
  name: 'DATABASE_REPLICA_URLS',
  schema: list(postgresUrl()),
  default: 'postgres://postgres@127.0.0.1:5434/formscale,postgres://postgres@127.0.0.1:5435/formscale',
  description: 'Streaming read replicas, comma-separated; empty = every read goes to the primary.',
  expected: 'a comma-separated list of postgres:// URLs (or empty)',
  example: 'postgres://formscale@db-replica-1:5432/formscale,postgres://formscale@db-replica-2:5432/formscale',
});

export const HEALTH_CHECK_TIMEOUT_MS = envVar({
  name: 'HEALTH_CHECK_TIMEOUT_MS',
  // Under a Kubernetes probe's default 1 s timeout, so a slow dependency reads as down, not as a hung probe.
  schema: integer(50, 60_000),
  default: '800',
  description: 'How long /health/ready waits for each dependency before calling it down.',
  expected: 'an integer number of milliseconds from 50 to 60000',
  example: '800',
});

export const SHUTDOWN_GRACE_MS = envVar({
  name: 'SHUTDOWN_GRACE_MS',
  // 0 locally; in Kubernetes a few seconds let endpoints drop the pod before it stops listening.
  schema: integer(0, 120_000),
  default: '0',
  description: 'After SIGTERM, how long /health/ready answers 503 before the server stops accepting.',
  expected: 'an integer number of milliseconds from 0 to 120000',
  example: '5000',
});

export const SAMPLE_INTERVAL_MS = envVar({
  name: 'SAMPLE_INTERVAL_MS',
  // Often enough for a 1-minute window to hold a dozen points per instance, rare
  // enough that a hundred instances cost the collector a few messages a second.
  schema: integer(100, 300_000),
  default: '5000',
  description: 'How often each instance publishes metrics.sample; the collector drops an instance silent for 3 periods.',
  expected: 'an integer number of milliseconds from 100 to 300000',
  example: '5000',
});

export const EVENTS_PREFIX = envVar({
  name: 'EVENTS_PREFIX',
  // Redis pub/sub channels are global to the server, not per database: tests and
  // side-by-side stacks on one Redis set a prefix so their events do not mix.
  schema: z.string().trim().max(64).regex(/^[\w.:{}-]*$/),
  default: '',
  description: 'Prefix of every event channel (metrics.sample, scaling.snapshot, ...); empty = the plain names.',
  expected: 'at most 64 letters, digits or . : _ - { }',
  example: 'staging:',
});

export const SCALING_SYNC_INTERVAL_MS = envVar({
  name: 'SCALING_SYNC_INTERVAL_MS',
  // The Kubernetes HPA's default sync period.
  schema: integer(100, 600_000),
  default: '15000',
  description: 'How often the collector publishes scaling.snapshot for the scaler.',
  expected: 'an integer number of milliseconds from 100 to 600000',
  example: '15000',
});

export const METRICS_HISTORY_MINUTES = envVar({
  name: 'METRICS_HISTORY_MINUTES',
  // An hour of points at the sample interval is a few MB and covers what a person watches live.
  schema: integer(1, 1440),
  default: '60',
  description: 'How much time series the collector keeps in memory for /api/history and the dashboard.',
  expected: 'an integer number of minutes from 1 to 1440',
  example: '60',
});

export const SUBMISSION_BODY_LIMIT_BYTES = envVar({
  name: 'SUBMISSION_BODY_LIMIT_BYTES',
  // 64 KiB holds a long form's answers many times over and keeps one request's parse cost small.
  schema: integer(1024, 10 * 1024 * 1024),
  default: '65536',
  description: 'Largest submission body the forms API reads; larger ones get 413.',
  expected: 'an integer number of bytes from 1024 to 10485760',
  example: '65536',
});

export const IDEMPOTENCY_TTL_SECONDS = envVar({
  name: 'IDEMPOTENCY_TTL_SECONDS',
  // 24 h, as Stripe: long enough for any client's retry schedule, short enough to bound Redis memory.
  schema: integer(60, 7 * 24 * 3600),
  default: '86400',
  description: 'How long an Idempotency-Key of a submission is remembered (seconds).',
  expected: 'an integer number of seconds from 60 to 604800',
  example: '86400',
});

export const RATE_LIMIT_SUBMISSIONS = envVar({
  name: 'RATE_LIMIT_SUBMISSIONS',
  // Far above what a person filling forms sends, low enough to blunt a script from one address.
  schema: integer(1, 1_000_000_000),
  default: '60',
  description: 'Submissions one client IP may send per rate-limit window; more get 429.',
  expected: 'an integer from 1 to 1000000000',
  example: '60',
});

export const RATE_LIMIT_WINDOW_SECONDS = envVar({
  name: 'RATE_LIMIT_WINDOW_SECONDS',
  schema: integer(1, 3600),
  default: '60',
  description: 'Length of the per-IP submission rate-limit window (seconds).',
  expected: 'an integer number of seconds from 1 to 3600',
  example: '60',
});

export const QUEUE_ADD_TIMEOUT_MS = envVar({
  name: 'QUEUE_ADD_TIMEOUT_MS',
  // A healthy Redis answers in about a millisecond; past a second the client is better told 503 and to retry.
  schema: integer(50, 30_000),
  default: '1000',
  description: 'How long the API waits for Redis to store a submission job before answering 503.',
  expected: 'an integer number of milliseconds from 50 to 30000',
  example: '1000',
});

export const ADMIN_API_KEYS = envVar({
  name: 'ADMIN_API_KEYS',
  // No default key: a key everybody knows from the repository is no key.
  schema: list(z.string().min(16)),
  default: '',
  description: 'Keys accepted in the X-Api-Key header of the admin API, comma-separated (16+ characters each); empty = admin API closed.',
  expected: 'a comma-separated list of keys of at least 16 characters (or empty)',
  example: 'a3f1c9e07b2d4e6f8a1b3c5d7e9f0a2b',
});

export const FORM_CACHE_TTL_SECONDS = envVar({
  name: 'FORM_CACHE_TTL_SECONDS',
  // Publishing invalidates the entry; the TTL only bounds the life of an entry whose invalidation was lost.
  schema: integer(1, 86_400),
  default: '300',
  description: 'How long a published form stays in the API cache (seconds).',
  expected: 'an integer number of seconds from 1 to 86400',
  example: '300',
});

export const SCALER_CONFIG = envVar({
  name: 'SCALER_CONFIG',
  schema: z.string().trim().min(1),
  default: 'apps/scaler/scaler.yaml',
  description: 'YAML file listing the scaling targets (backend, resource, min/max, metrics, behavior).',
  expected: 'a path to a YAML file, relative to the working directory or absolute',
  example: '/etc/formscale/scaler.yaml',
});

export const SCALER_BACKEND = envVar({
  name: 'SCALER_BACKEND',
  schema: oneOf(['', 'kubernetes', 'swarm', 'local', 'dry-run']),
  default: '',
  description: 'Backend for every target, overriding the config file; empty = each target\'s own backend.',
  expected: 'one of kubernetes, swarm, local, dry-run (or empty)',
  example: 'dry-run',
});

export const SCALER_LEASE_TTL_MS = envVar({
  name: 'SCALER_LEASE_TTL_MS',
  // One HPA sync period: a standby takes over before the leader would have acted twice,
  // and a leader renewing every third of it survives a slow Redis round trip or two.
  schema: integer(1000, 600_000),
  default: '15000',
  description: 'Lifetime of the scaler leader lease in Redis; a standby takes over within it when the leader dies.',
  expected: 'an integer number of milliseconds from 1000 to 600000',
  example: '15000',
});

export const WORKER_CONCURRENCY = envVar({
  name: 'WORKER_CONCURRENCY',
  // Jobs held at once: twice the batch size, so one batch fills while the one before commits.
  schema: integer(1, 10_000),
  default: '800',
  description: 'Submission jobs one worker process holds at once (BullMQ concurrency).',
  expected: 'an integer from 1 to 10000',
  example: '800',
});

export const WORKER_BATCH_SIZE = envVar({
  name: 'WORKER_BATCH_SIZE',
  // 400 rows make one INSERT of a few hundred kB that commits in milliseconds. bench:worker against 200
  // (at twice the size in concurrency): PostgreSQL 23-26 µs of CPU per row instead of 29-30, stored 9,082
  // and 10,829/s instead of 8,313 and 9,913, worker_vs_noop 0.773 and 0.813 instead of 0.724 and 0.736.
  schema: integer(1, 5_000),
  default: '400',
  description: 'Most submissions written by one INSERT (one transaction).',
  expected: 'an integer from 1 to 5000',
  example: '400',
});

export const WORKER_BATCH_WAIT_MS = envVar({
  name: 'WORKER_BATCH_WAIT_MS',
  // A lone submission waits at most this long for company: invisible next to queueing, still batches bursts.
  schema: integer(0, 10_000),
  default: '20',
  description: 'Longest time a batch waits to fill before it is written anyway.',
  expected: 'an integer number of milliseconds from 0 to 10000',
  example: '20',
});

export const WORKER_DRAIN_TIMEOUT_MS = envVar({
  name: 'WORKER_DRAIN_TIMEOUT_MS',
  // Under Kubernetes' default terminationGracePeriodSeconds (30 s), so the drain ends before SIGKILL.
  schema: integer(0, 600_000),
  default: '25000',
  description: 'After SIGTERM, how long the worker may finish jobs in flight before it closes forcefully.',
  expected: 'an integer number of milliseconds from 0 to 600000',
  example: '25000',
});

export const WORKER_ATTEMPTS = envVar({
  name: 'WORKER_ATTEMPTS',
  // With a 1 s base the eighth attempt comes about four minutes after the first: long enough for a fail-over.
  schema: integer(1, 100),
  default: '8',
  description: 'Attempts of a webhook job before it stays in the failed set (dead letters).',
  expected: 'an integer from 1 to 100',
  example: '8',
});

export const WORKER_KEEP_COMPLETED_SECONDS = envVar({
  name: 'WORKER_KEEP_COMPLETED_SECONDS',
  // An hour of completed jobs answers "was it processed?" and dedupes replays, without growing Redis.
  schema: integer(0, 30 * 24 * 3600),
  default: '3600',
  description: 'Completed jobs older than this are removed from Redis.',
  expected: 'an integer number of seconds',
  example: '3600',
});

export const WORKER_KEEP_COMPLETED_COUNT = envVar({
  name: 'WORKER_KEEP_COMPLETED_COUNT',
  // Caps memory under sustained load, when an hour of jobs would be millions.
  schema: integer(0, 10_000_000),
  default: '10000',
  description: 'At most this many completed jobs are kept per queue.',
  expected: 'an integer',
  example: '10000',
});

export const WORKER_KEEP_FAILED_SECONDS = envVar({
  name: 'WORKER_KEEP_FAILED_SECONDS',
  // Failed jobs are the dead letters: a week leaves time to notice, fix and replay them.
  schema: integer(0, 365 * 24 * 3600),
  default: '604800',
  description: 'Failed jobs (dead letters) older than this are removed from Redis.',
  expected: 'an integer number of seconds',
  example: '604800',
});

export const WORKER_KEEP_FAILED_COUNT = envVar({
  name: 'WORKER_KEEP_FAILED_COUNT',
  // Bounds memory if something fails every job; alerts fire long before this fills.
  schema: integer(0, 10_000_000),
  default: '100000',
  description: 'At most this many failed jobs (dead letters) are kept per queue.',
  expected: 'an integer',
  example: '100000',
});

export const WEBHOOK_TIMEOUT_MS = envVar({
  name: 'WEBHOOK_TIMEOUT_MS',
  // Receivers should answer fast and work later; 10 s tolerates a slow one without pinning a slot for long.
  schema: integer(100, 120_000),
  default: '10000',
  description: 'How long one webhook delivery may take before it counts as failed.',
  expected: 'an integer number of milliseconds from 100 to 120000',
  example: '10000',
});

export const WEBHOOK_CONCURRENCY = envVar({
  name: 'WEBHOOK_CONCURRENCY',
  // Deliveries wait on the network, not the CPU; 50 in flight keeps a slow receiver from starving the others.
  schema: integer(1, 1_000),
  default: '50',
  description: 'Webhook deliveries one worker process makes at once.',
  expected: 'an integer from 1 to 1000',
  example: '50',
});

export const WEBHOOK_ALLOW_LOOPBACK = envVar({
  name: 'WEBHOOK_ALLOW_LOOPBACK',
  schema: boolean(),
  default: 'false',
  description: 'Allow webhook destinations on loopback addresses (local development and tests only).',
  expected: 'true or false',
  example: 'true',
});

export const WEBHOOK_ALLOW_PRIVATE = envVar({
  name: 'WEBHOOK_ALLOW_PRIVATE',
  schema: boolean(),
  default: 'false',
  description: 'Allow webhook destinations in private and link-local ranges (never the metadata address).',
  expected: 'true or false',
  example: 'true',
});

export const CDN_PURGE_ZONE_ID = envVar({
  name: 'CDN_PURGE_ZONE_ID',
  schema: z.string().trim().max(64),
  // Empty: no CDN in front, so publishing purges nothing at the edge.
  default: '',
  description: 'Cloudflare zone whose cache is purged by form tag on publish/archive; empty = no CDN purge.',
  expected: 'a Cloudflare zone id (32 hex characters) or empty',
  example: '023e105f4ecef8ad9ca31a8372d0c353',
});

export const CDN_PURGE_API_TOKEN = envVar({
  name: 'CDN_PURGE_API_TOKEN',
  schema: z.string().trim().max(200),
  default: '',
  description: 'Cloudflare API token with the Cache Purge permission on that zone; empty = no CDN purge.',
  expected: 'an API token (or empty)',
  example: 'Y2xvdWRmbGFyZS1wdXJnZS10b2tlbi1leGFtcGxl',
});

export const NGINX_PURGE_URLS = envVar({
  name: 'NGINX_PURGE_URLS',
  schema: list(httpUrl()),
  // Empty: no nginx edge cache to refresh; its entries then live out their s-maxage (60 s).
  default: '',
  description: "Internal (status) port of each nginx whose edge cache holds form reads, comma-separated; publish/archive refreshes the form there. Empty = none.",
  expected: 'a comma-separated list of http(s) URLs (or empty)',
  example: 'http://nginx:8081',
});

export const CDN_PURGE_API_URL = envVar({
  name: 'CDN_PURGE_API_URL',
  schema: httpUrl(),
  default: 'https://api.cloudflare.com/client/v4',
  description: "Base URL of Cloudflare's API (tests point it at a stand-in).",
  expected: 'an http(s) URL',
  example: 'https://api.cloudflare.com/client/v4',
});
