import {
  ADMIN_API_KEYS,
  CDN_PURGE_API_TOKEN,
  CDN_PURGE_API_URL,
  CDN_PURGE_ZONE_ID,
  COLLECTOR_PORT,
  FORM_CACHE_TTL_SECONDS,
  IDEMPOTENCY_TTL_SECONDS,
  QUEUE_ADD_TIMEOUT_MS,
  RATE_LIMIT_SUBMISSIONS,
  RATE_LIMIT_WINDOW_SECONDS,
  SUBMISSION_BODY_LIMIT_BYTES,
  DATABASE_REPLICA_URLS,
  DATABASE_URL,
  EVENTS_PREFIX,
  FORMS_API_PORT,
  HEALTH_CHECK_TIMEOUT_MS,
  HOST,
  INSTANCE_ID,
  LOG_LEVEL,
  METRICS_HISTORY_MINUTES,
  NODE_ENV,
  QUEUE_PREFIX,
  REDIS_URL,
  SAMPLE_INTERVAL_MS,
  SCALING_SYNC_INTERVAL_MS,
  SCALER_BACKEND,
  SCALER_CONFIG,
  SCALER_LEASE_TTL_MS,
  SCALER_PORT,
  SHUTDOWN_GRACE_MS,
  WORKER_PORT,
  WORKER_CONCURRENCY,
  WORKER_BATCH_SIZE,
  WORKER_BATCH_WAIT_MS,
  WORKER_DRAIN_TIMEOUT_MS,
  WORKER_ATTEMPTS,
  WORKER_KEEP_COMPLETED_SECONDS,
  WORKER_KEEP_COMPLETED_COUNT,
  WORKER_KEEP_FAILED_SECONDS,
  WORKER_KEEP_FAILED_COUNT,
  WEBHOOK_TIMEOUT_MS,
  WEBHOOK_CONCURRENCY,
  WEBHOOK_ALLOW_LOOPBACK,
  WEBHOOK_ALLOW_PRIVATE,
} from './variables';
import type { ConfigOf } from './load-config';

/** What every formscale process reads: where it runs and what it talks to. */
const common = {
  nodeEnv: NODE_ENV,
  logLevel: LOG_LEVEL,
  host: HOST,
  instanceId: INSTANCE_ID,
  redisUrl: REDIS_URL,
  queuePrefix: QUEUE_PREFIX,
  databaseUrl: DATABASE_URL,
  replicaUrls: DATABASE_REPLICA_URLS,
  healthCheckTimeoutMs: HEALTH_CHECK_TIMEOUT_MS,
  shutdownGraceMs: SHUTDOWN_GRACE_MS,
  sampleIntervalMs: SAMPLE_INTERVAL_MS,
  eventsPrefix: EVENTS_PREFIX,
} as const;

export const formsApiConfig = {
  ...common,
  port: FORMS_API_PORT,
  submissionBodyLimitBytes: SUBMISSION_BODY_LIMIT_BYTES,
  idempotencyTtlSeconds: IDEMPOTENCY_TTL_SECONDS,
  rateLimitSubmissions: RATE_LIMIT_SUBMISSIONS,
  rateLimitWindowSeconds: RATE_LIMIT_WINDOW_SECONDS,
  queueAddTimeoutMs: QUEUE_ADD_TIMEOUT_MS,
  adminApiKeys: ADMIN_API_KEYS,
  formCacheTtlSeconds: FORM_CACHE_TTL_SECONDS,
  cdnPurgeZoneId: CDN_PURGE_ZONE_ID,
  cdnPurgeApiToken: CDN_PURGE_API_TOKEN,
  cdnPurgeApiUrl: CDN_PURGE_API_URL,
} as const;
export const workerConfig = {
  ...common,
  port: WORKER_PORT,
  concurrency: WORKER_CONCURRENCY,
  batchSize: WORKER_BATCH_SIZE,
  batchWaitMs: WORKER_BATCH_WAIT_MS,
  drainTimeoutMs: WORKER_DRAIN_TIMEOUT_MS,
  attempts: WORKER_ATTEMPTS,
  keepCompletedSeconds: WORKER_KEEP_COMPLETED_SECONDS,
  keepCompletedCount: WORKER_KEEP_COMPLETED_COUNT,
  keepFailedSeconds: WORKER_KEEP_FAILED_SECONDS,
  keepFailedCount: WORKER_KEEP_FAILED_COUNT,
  webhookTimeoutMs: WEBHOOK_TIMEOUT_MS,
  webhookConcurrency: WEBHOOK_CONCURRENCY,
  webhookAllowLoopback: WEBHOOK_ALLOW_LOOPBACK,
  webhookAllowPrivate: WEBHOOK_ALLOW_PRIVATE,
} as const;
export const collectorConfig = {
  ...common,
  port: COLLECTOR_PORT,
  syncIntervalMs: SCALING_SYNC_INTERVAL_MS,
  historyMinutes: METRICS_HISTORY_MINUTES,
} as const;
export const scalerConfig = {
  ...common,
  port: SCALER_PORT,
  configFile: SCALER_CONFIG,
  backend: SCALER_BACKEND,
  leaseTtlMs: SCALER_LEASE_TTL_MS,
} as const;

export type CommonConfig = ConfigOf<typeof common>;
export type FormsApiConfig = ConfigOf<typeof formsApiConfig>;
export type WorkerConfig = ConfigOf<typeof workerConfig>;
export type CollectorConfig = ConfigOf<typeof collectorConfig>;
export type ScalerConfig = ConfigOf<typeof scalerConfig>;
