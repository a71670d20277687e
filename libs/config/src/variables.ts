import { z } from 'zod';
import { boolean, envVar, integer, list, oneOf, port, postgresUrl, redisUrl } from './env-var';

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

export const WORKER_CONCURRENCY = envVar({
  name: 'WORKER_CONCURRENCY',
  // Jobs held at once: twice the batch size, so one batch fills while the one before commits.
  schema: integer(1, 10_000),
  default: '400',
  description: 'Submission jobs one worker process holds at once (BullMQ concurrency).',
  expected: 'an integer from 1 to 10000',
  example: '400',
});

export const WORKER_BATCH_SIZE = envVar({
  name: 'WORKER_BATCH_SIZE',
  // 200 rows make one INSERT of a few hundred kB: large enough that per-statement cost vanishes, small enough to commit in milliseconds.
  schema: integer(1, 5_000),
  default: '200',
  description: 'Most submissions written by one INSERT (one transaction).',
  expected: 'an integer from 1 to 5000',
  example: '200',
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
