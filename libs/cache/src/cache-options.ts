import type { Registry } from 'prom-client';

/** The part of a pino logger the cache writes to, so an app can hand in its own. */
export interface CacheLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface MultiLayerCacheOptions {
  /** Prefix of every Redis key and of the invalidation channel (`<prefix>cache.invalidate`). */
  keyPrefix?: string;
  /** Redis for L2, locks and the invalidation bus; `false` keeps the cache in-process only. */
  redisUrl?: string | false;
  /** `false` turns the in-process L1 off (every read goes to Redis). */
  l1?: boolean;
  l1MaxEntries?: number;
  l1MaxBytes?: number;
  l1MaxEntryBytes?: number;
  ttlMs?: number;
  graceMs?: number;
  graceBackoffMs?: number;
  negativeTtlMs?: number;
  lockTtlMs?: number;
  lockPollMs?: number;
  lockWaitMs?: number;
  commandTimeoutMs?: number;
  connectTimeoutMs?: number;
  reconnectMaxDelayMs?: number;
  breakerFailureThreshold?: number;
  breakerPauseMs?: number;
  maxPendingInvalidations?: number;
  /** Where the cache registers its metrics; without one they go to a private registry. */
  registry?: Registry;
  logger?: CacheLogger;
  /** Identifies this instance on the bus; a random UUID unless given. */
  instanceId?: string;
}

/** Per-call settings; each one falls back to the cache-wide setting of the same name. */
export interface CacheCallOptions {
  ttlMs?: number;
  graceMs?: number;
  negativeTtlMs?: number;
  tags?: readonly string[];
  /** Run the loader once across all instances (Redis lock), not only once per process. */
  distributed?: boolean;
}

export const CACHE_DEFAULTS = {
  keyPrefix: 'formscale:',
  redisUrl: 'redis://127.0.0.1:6379',
  // 10k entries x a few KB each stays far below a pod's memory while holding the hot set.
  l1MaxEntries: 10_000,
  // Counted as serialized JSON length; the parsed objects take a small multiple of it.
  l1MaxBytes: 64 * 1024 * 1024,
  // One huge value must not push out thousands of small hot ones; it stays in L2 only.
  l1MaxEntryBytes: 1024 * 1024,
  // Invalidation keeps entries correct; the TTL only bounds the life of what nobody touches.
  ttlMs: 60_000,
  // Off by default: serving stale data is a per-key decision.
  graceMs: 0,
  // After a failed refresh, keep serving the stale value this long before trying the loader again.
  graceBackoffMs: 5_000,
  // Long enough to absorb a burst of lookups for a missing id, short enough that a new row shows up soon.
  negativeTtlMs: 5_000,
  // Longer than a slow loader; if the owner dies, the others take over after this.
  lockTtlMs: 10_000,
  // A waiter checks L2 this often; a DB loader takes tens of ms, so 25 ms adds little latency.
  lockPollMs: 25,
  // A waiter gives up on the owner after this and loads for itself.
  lockWaitMs: 10_000,
  // A cache read slower than this costs more than it saves; fail and fall back to the loader.
  commandTimeoutMs: 250,
  // How long ready() waits for Redis at start-up before the cache runs on L1 and the loader.
  connectTimeoutMs: 2_000,
  // Reconnect attempts back off up to this, so a dead Redis is probed every 2 s, not hammered.
  reconnectMaxDelayMs: 2_000,
  // Consecutive L2 failures before the breaker opens (one timeout can be a blip, three are not).
  breakerFailureThreshold: 3,
  // While open, L2 is skipped entirely; after this pause one probe request decides.
  breakerPauseMs: 5_000,
  // Writes that could not reach Redis are replayed as deletes on recovery; past this many the
  // whole namespace is dropped instead, since the list would cost more memory than it saves.
  maxPendingInvalidations: 10_000,
} as const;

export type ResolvedCacheSettings = Required<
  Omit<MultiLayerCacheOptions, 'registry' | 'logger' | 'instanceId' | 'redisUrl'>
> & { redisUrl: string | false };

export function resolveCacheSettings(options: MultiLayerCacheOptions): ResolvedCacheSettings {
  const settings: ResolvedCacheSettings = {
    ...CACHE_DEFAULTS,
    l1: true,
    ...withoutUndefined(options),
  };
  for (const [name, value] of Object.entries(settings)) {
    if (typeof value === 'number' && (!Number.isFinite(value) || value < 0)) {
      throw new Error(`cache option ${name} must be a finite number >= 0, got ${value}`);
    }
  }
  if (settings.l1MaxEntries < 1 || settings.l1MaxBytes < 1) {
    throw new Error('cache options l1MaxEntries and l1MaxBytes must be >= 1 (set l1: false to turn L1 off)');
  }
  return settings;
}

function withoutUndefined(options: MultiLayerCacheOptions): Partial<ResolvedCacheSettings> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(options)) {
    if (value !== undefined && name !== 'registry' && name !== 'logger' && name !== 'instanceId') {
      out[name] = value;
    }
  }
  return out as Partial<ResolvedCacheSettings>;
}
