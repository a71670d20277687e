import { REDIS_CLOSE_PROMPTLY } from '@formscale/config';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { CACHE_INVALIDATE_EVENT, type CacheInvalidateEvent } from '@formscale/contracts';
import { type ChainableCommander, Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { type CacheEnvelope, decodeEnvelope, encodeEnvelope, isNotFound } from './cache-entry-codec';
import { type CacheMetrics, CacheRequestCounts, cacheMetricsFor } from './cache-metrics';
import {
  type CacheCallOptions,
  type CacheLogger,
  type MultiLayerCacheOptions,
  type ResolvedCacheSettings,
  resolveCacheSettings,
} from './cache-options';
import { CircuitBreaker } from './circuit-breaker';
import { coarseNow } from './coarse-clock';
import { encodeInvalidation, InvalidationSubscriber } from './invalidation-bus';
import { L2ReadBatcher } from './l2-read-batcher';

/** Returns the value, or `null`/`undefined` for "not found" (cached as a negative entry). */
export type CacheLoader<T> = () => Promise<T | null | undefined> | T | null | undefined;

export interface CacheStats {
  l1Entries: number;
  /** Sum of the entries' sizes as counted against `l1MaxBytes`. */
  l1Bytes: number;
  breaker: 'closed' | 'open' | 'half-open';
  redis: string;
  requests: Readonly<CacheRequestCounts>;
}

// Added to each L1 entry's JSON length for the key and the entry object itself.
const L1_ENTRY_OVERHEAD_BYTES = 96;

const RELEASE_LOCK_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

// Atomic, so a key tagged between reading the set and deleting it cannot escape the delete.
// The value keys are derived from the prefix rather than passed in KEYS: use a hash-tagged
// prefix such as `{formscale}:` to keep them in one slot on a Redis Cluster.
const DELETE_TAG_SCRIPT = `local keys = redis.call('SMEMBERS', KEYS[1])
for _, key in ipairs(keys) do redis.call('UNLINK', ARGV[1] .. key) end
redis.call('UNLINK', KEYS[1])
return #keys`;

class L1Entry {
  /** Built on the first hit and reused, so an L1 hit allocates nothing. */
  resolved: Promise<unknown> | undefined = undefined;

  constructor(
    readonly value: unknown,
    public staleAt: number,
    readonly expiresAt: number,
    readonly tags: readonly string[] | undefined,
  ) {}
}

/**
 * One in-flight read, load or refresh of a key. An invalidation that arrives while it
 * runs marks it, so what it read (possibly before the write) is returned to its callers
 * but never cached.
 */
class Flight<T> {
  invalidated = false;
  promise!: Promise<T>;
}

type WriteMode = 'fill' | 'replace';

/**
 * An in-process LRU (L1) in front of Redis (L2), kept coherent across instances by a
 * `cache.invalidate` bus, with per-process and distributed stampede protection, grace
 * (stale-while-revalidate, stale-if-error), negative caching, and a circuit breaker that
 * lets reads go on from L1 and the loader while Redis is down.
 */
export class MultiLayerCache {
  readonly instanceId: string;
  readonly channel: string;
  protected readonly logger: CacheLogger;
  private readonly settings: ResolvedCacheSettings;
  private readonly l1: LRUCache<string, L1Entry> | undefined;
  private readonly tagIndex = new Map<string, Set<string>>();
  private readonly redis: Redis | undefined;
  private readonly subscriber: Redis | undefined;
  private readonly l2Reads: L2ReadBatcher | undefined;
  private readonly valuePrefix: string;
  private readonly tagPrefix: string;
  private readonly lockPrefix: string;
  private readonly breaker: CircuitBreaker;
  private readonly counts = new CacheRequestCounts();
  private readonly metrics: CacheMetrics;
  private readonly loads = new Map<string, Flight<unknown>>();
  private readonly reads = new Map<string, Flight<unknown>>();
  private readonly refreshes = new Map<string, Flight<void>>();
  private readonly lostKeys = new Set<string>();
  private readonly lostTags = new Set<string>();
  private lostTooMany = false;
  private replaying = false;
  private redisDownLogged = false;
  private readonly subscribed: Promise<void>;
  private closed = false;

  constructor(options: MultiLayerCacheOptions = {}) {
    this.settings = resolveCacheSettings(options);
    const s = this.settings;
    this.instanceId = options.instanceId ?? randomUUID();
    this.logger = options.logger ?? pino({ name: 'cache' });
    this.metrics = cacheMetricsFor(options.registry ?? new Registry());
    this.metrics.attach(this.counts);
    this.channel = s.keyPrefix + CACHE_INVALIDATE_EVENT;
    this.valuePrefix = s.keyPrefix + 'v:';
    this.tagPrefix = s.keyPrefix + 't:';
    this.lockPrefix = s.keyPrefix + 'l:';
    this.breaker = new CircuitBreaker(s.breakerFailureThreshold, s.breakerPauseMs, (state) => {
      if (state === 'open') {
        this.logger.warn({ pauseMs: s.breakerPauseMs }, 'cache L2 circuit open: serving from L1 and loaders');
      } else if (state === 'closed') {
        this.logger.info({}, 'cache L2 circuit closed: Redis is used again');
        void this.replayLostWrites();
      }
    });
    if (s.l1) {
      this.l1 = new LRUCache<string, L1Entry>({
        max: s.l1MaxEntries,
        maxSize: s.l1MaxBytes,
        maxEntrySize: Math.min(s.l1MaxEntryBytes, s.l1MaxBytes),
        dispose: (entry, key) => {
          if (entry.tags !== undefined) {
            this.unindexTags(key, entry.tags);
          }
        },
      });
    }
    if (s.redisUrl === false) {
      this.l2Reads = undefined;
      this.subscribed = Promise.resolve();
      return;
    }
    this.redis = new Redis(s.redisUrl, {
      // Fail at once instead of queueing while Redis is away: a queued cache call only adds latency.
      enableOfflineQueue: false,
      commandTimeout: s.commandTimeoutMs,
      maxRetriesPerRequest: 0,
      retryStrategy: (attempt) => Math.min(attempt * 100, s.reconnectMaxDelayMs),
      connectionName: `cache-${this.instanceId}`,
      ...REDIS_CLOSE_PROMPTLY,
    });
    this.l2Reads = new L2ReadBatcher(this.redis);
    this.redis.on('error', (err: Error) => this.onRedisError(err));
    this.redis.on('ready', () => {
      this.redisDownLogged = false;
      void this.replayLostWrites();
    });
    // The subscriber queues its SUBSCRIBE until connected and sends nothing else; a timed-out
    // SUBSCRIBE would leave the bus deaf, so it waits as long as the connection does.
    this.subscriber = this.redis.duplicate({
      enableOfflineQueue: true,
      commandTimeout: undefined,
      connectionName: `cache-bus-${this.instanceId}`,
    });
    this.subscriber.on('error', () => undefined);
    let markSubscribed: () => void = () => undefined;
    this.subscribed = new Promise((resolve) => (markSubscribed = resolve));
    new InvalidationSubscriber(
      this.subscriber,
      this.channel,
      this.instanceId,
      {
        onInvalidate: (event) => this.applyInvalidation(event),
        onSubscribed: () => {
          // Whatever was published while the bus was down is lost, so nothing in L1 can be trusted.
          this.clearL1();
          markSubscribed();
        },
      },
      this.metrics,
      this.logger,
    ).start();
  }

  /**
   * Resolves true once Redis answers and the bus is subscribed, or false after
   * `connectTimeoutMs`; the cache works either way (L1 and loaders until Redis is back).
   */
  async ready(): Promise<boolean> {
    const redis = this.redis;
    if (redis === undefined) {
      return true;
    }
    const connected = redis.status === 'ready' ? Promise.resolve() : new Promise<void>((r) => redis.once('ready', r));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), this.settings.connectTimeoutMs);
    });
    const result = await Promise.race([Promise.all([connected, this.subscribed]).then(() => true), timeout]);
    clearTimeout(timer);
    return result;
  }

  /**
   * The value of `key`: from L1, else L2, else the loader (run once per process for
   * concurrent callers, once across processes with `distributed`). Resolves `undefined`
   * for a cached "not found".
   */
  getOrSet<T>(key: string, loader: CacheLoader<T>, options?: CacheCallOptions): Promise<T | undefined> {
    const l1 = this.l1;
    if (l1 !== undefined) {
      const entry = l1.get(key);
      if (entry !== undefined) {
        const now = coarseNow();
        if (now < entry.staleAt) {
          this.counts.l1Hit++;
          return (entry.resolved ??= Promise.resolve(entry.value)) as Promise<T | undefined>;
        }
        if (now < entry.expiresAt) {
          this.counts.l1Stale++;
          this.refreshInBackground(key, loader, options);
          return (entry.resolved ??= Promise.resolve(entry.value)) as Promise<T | undefined>;
        }
        l1.delete(key);
      }
      this.counts.l1Miss++;
    }
    return this.loadThrough(key, loader, options) as Promise<T | undefined>;
  }

  /** The fresh value of `key` from L1 or L2, or `undefined`. Never throws for Redis trouble. */
  async get<T>(key: string): Promise<T | undefined> {
    const entry = this.l1?.get(key);
    if (entry !== undefined && coarseNow() < entry.staleAt) {
      this.counts.l1Hit++;
      return entry.value as T | undefined;
    }
    if (this.l1 !== undefined) {
      this.counts.l1Miss++;
    }
    let flight = this.reads.get(key);
    if (flight === undefined) {
      const started = new Flight<unknown>();
      started.promise = this.readFresh(key, started).finally(() => this.endFlight(this.reads, key, started));
      this.reads.set(key, started);
      flight = started;
    }
    return flight.promise as Promise<T | undefined>;
  }

  /** Stores `value` in both layers and evicts `key` from every other instance's L1. */
  async set<T>(key: string, value: T, options?: CacheCallOptions): Promise<void> {
    const now = Date.now();
    const { staleAt, expiresAt } = this.lifetime(value, options, now);
    this.invalidateFlights(key);
    if (expiresAt <= now) {
      return this.delete(key);
    }
    const raw = encodeEnvelope(value, staleAt, expiresAt, options?.tags);
    this.fillL1(key, decodeEnvelope(raw) as CacheEnvelope, raw.length, undefined);
    const tags = options?.tags;
    const sent = await this.execL2((multi) => {
      multi.set(this.valuePrefix + key, raw, 'PX', expiresAt - now);
      this.addTagCommands(multi, key, tags, expiresAt - now);
      multi.publish(this.channel, this.invalidation([key], []));
    });
    this.afterBroadcast(sent, [key], []);
  }

  /** Removes `key` from both layers and from every other instance's L1. */
  async delete(key: string): Promise<void> {
    this.invalidateFlights(key);
    this.l1?.delete(key);
    const sent = await this.execL2((multi) => {
      multi.unlink(this.valuePrefix + key);
      multi.publish(this.channel, this.invalidation([key], []));
    });
    this.afterBroadcast(sent, [key], []);
  }

  /** Removes every entry stored with `tag`, in both layers and on every instance. */
  async deleteByTag(tag: string): Promise<void> {
    this.invalidateAllFlights();
    this.evictTagFromL1(tag);
    const sent = await this.execL2((multi) => {
      multi.eval(DELETE_TAG_SCRIPT, 1, this.tagPrefix + tag, this.valuePrefix);
      multi.publish(this.channel, this.invalidation([], [tag]));
    });
    this.afterBroadcast(sent, [], [tag]);
  }

  /** The fresh L1 value of `key` without touching L2, recency or metrics (diagnostics, tests). */
  peekL1<T>(key: string): T | undefined {
    const entry = this.l1?.peek(key);
    return entry !== undefined && coarseNow() < entry.staleAt ? (entry.value as T | undefined) : undefined;
  }

  stats(): CacheStats {
    return {
      l1Entries: this.l1?.size ?? 0,
      l1Bytes: this.l1?.calculatedSize ?? 0,
      breaker: this.breaker.current,
      redis: this.redis?.status ?? 'disabled',
      requests: { ...this.counts },
    };
  }

  /** Closes both Redis connections; L1 keeps working for whatever still holds the cache. */
  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    this.metrics.detach(this.counts);
    // A deliberate close is not a lost bus; keep only the error listener, which ioredis needs.
    this.subscriber?.removeAllListeners('close');
    await Promise.all([closeConnection(this.redis), closeConnection(this.subscriber)]);
  }

  private loadThrough(key: string, loader: CacheLoader<unknown>, options: CacheCallOptions | undefined): Promise<unknown> {
    const running = this.loads.get(key);
    if (running !== undefined) {
      return running.promise;
    }
    const flight = new Flight<unknown>();
    this.loads.set(key, flight);
    flight.promise = this.fetch(key, loader, options, flight);
    return flight.promise;
  }

  // The L2 hit path: one batched read, one JSON.parse and this one promise; it is what bench:cache measures.
  private async fetch(
    key: string,
    loader: CacheLoader<unknown>,
    options: CacheCallOptions | undefined,
    flight: Flight<unknown>,
  ): Promise<unknown> {
    try {
      const l2Reads = this.l2Reads;
      if (l2Reads !== undefined) {
        let raw: string | null = null;
        if (this.l2Usable()) {
          try {
            raw = await l2Reads.read(this.valuePrefix + key);
            this.breaker.recordSuccess();
          } catch (err) {
            this.l2Failed(err);
          }
        }
        const envelope = raw === null ? undefined : decodeEnvelope(raw);
        const now = coarseNow();
        if (envelope !== undefined && now < envelope.expiresAt) {
          this.fillL1(key, envelope, (raw as string).length, flight);
          if (now < envelope.staleAt) {
            this.counts.l2Hit++;
          } else {
            this.counts.l2Stale++;
            this.refreshInBackground(key, loader, options);
          }
          return envelope.value;
        }
        this.counts.l2Miss++;
      }
      if (options?.distributed === true) {
        return await this.loadUnderLock(key, loader, options, flight);
      }
      return await this.store(key, await this.runLoader(loader), options, flight, 'fill');
    } finally {
      this.endFlight(this.loads, key, flight);
    }
  }

  private async readFresh(key: string, flight: Flight<unknown>): Promise<unknown> {
    if (this.redis === undefined) {
      return undefined;
    }
    const raw = await this.readL2(key);
    const envelope = raw === undefined ? undefined : decodeEnvelope(raw);
    if (envelope !== undefined && coarseNow() < envelope.staleAt) {
      this.counts.l2Hit++;
      this.fillL1(key, envelope, (raw as string).length, flight);
      return envelope.value;
    }
    this.counts.l2Miss++;
    return undefined;
  }

  /**
   * Distributed stampede protection: one process holds `<prefix>l:<key>` (token + TTL)
   * while it loads; the others poll L2 for the value it stores. A waiter that outlives
   * `lockWaitMs`, or finds Redis gone, loads for itself.
   */
  private async loadUnderLock(
    key: string,
    loader: CacheLoader<unknown>,
    options: CacheCallOptions,
    flight: Flight<unknown>,
  ): Promise<unknown> {
    const lockKey = this.lockPrefix + key;
    const token = randomUUID();
    const deadline = Date.now() + this.settings.lockWaitMs;
    for (;;) {
      const acquired = await this.tryLock(lockKey, token);
      if (acquired === undefined) {
        break;
      }
      if (acquired) {
        try {
          // The previous owner may have stored the value between our miss and our lock.
          const found = await this.readFreshEnvelope(key, flight);
          if (found !== undefined) {
            return found.value;
          }
          return await this.store(key, await this.runLoader(loader), options, flight, 'fill');
        } finally {
          await this.releaseLock(lockKey, token);
        }
      }
      await sleep(this.settings.lockPollMs);
      const found = await this.readFreshEnvelope(key, flight);
      if (found !== undefined) {
        return found.value;
      }
      if (Date.now() >= deadline) {
        this.logger.warn({ key, lockWaitMs: this.settings.lockWaitMs }, 'cache lock wait timed out; loading without the lock');
        break;
      }
    }
    return this.store(key, await this.runLoader(loader), options, flight, 'fill');
  }

  private async readFreshEnvelope(key: string, flight: Flight<unknown>): Promise<CacheEnvelope | undefined> {
    const raw = await this.readL2(key);
    const envelope = raw === undefined ? undefined : decodeEnvelope(raw);
    if (envelope === undefined || coarseNow() >= envelope.staleAt) {
      return undefined;
    }
    this.fillL1(key, envelope, (raw as string).length, flight);
    return envelope;
  }

  private refreshInBackground(key: string, loader: CacheLoader<unknown>, options: CacheCallOptions | undefined): void {
    if (this.refreshes.has(key)) {
      return;
    }
    const flight = new Flight<void>();
    flight.promise = this.refresh(key, loader, options, flight).finally(() => this.endFlight(this.refreshes, key, flight));
    this.refreshes.set(key, flight);
  }

  private async refresh(
    key: string,
    loader: CacheLoader<unknown>,
    options: CacheCallOptions | undefined,
    flight: Flight<void>,
  ): Promise<void> {
    if ((await this.readFreshEnvelope(key, flight)) !== undefined) {
      return;
    }
    const lockKey = this.lockPrefix + key;
    const token = randomUUID();
    const acquired = options?.distributed === true ? await this.tryLock(lockKey, token) : undefined;
    if (acquired === false) {
      return;
    }
    try {
      await this.store(key, await this.runLoader(loader), options, flight, 'replace');
    } catch (err) {
      this.backOffAfterFailedRefresh(key);
      this.logger.warn({ err, key }, 'cache refresh failed; serving the stale value');
    } finally {
      if (acquired === true) {
        await this.releaseLock(lockKey, token);
      }
    }
  }

  /** Stale-if-error: keep the stale value, and leave the loader alone for `graceBackoffMs`. */
  private backOffAfterFailedRefresh(key: string): void {
    const entry = this.l1?.peek(key);
    if (entry !== undefined) {
      entry.staleAt = Math.min(Date.now() + this.settings.graceBackoffMs, entry.expiresAt);
    }
  }

  private async runLoader(loader: CacheLoader<unknown>): Promise<unknown> {
    const started = performance.now();
    try {
      const value = await loader();
      this.metrics.loaderDuration.observe({ result: 'success' }, (performance.now() - started) / 1000);
      return value;
    } catch (err) {
      this.metrics.loaderDuration.observe({ result: 'error' }, (performance.now() - started) / 1000);
      throw err;
    }
  }

  /**
   * Caches a loaded value and returns the copy every layer serves (JSON round trip), so
   * a caller sees the same shape whichever layer answers. A `fill` writes L2 only if the
   * key is absent: a concurrent `set` is newer than what the loader read.
   */
  private async store(
    key: string,
    value: unknown,
    options: CacheCallOptions | undefined,
    flight: Flight<unknown> | Flight<void>,
    mode: WriteMode,
  ): Promise<unknown> {
    const now = Date.now();
    const { staleAt, expiresAt } = this.lifetime(value, options, now);
    const raw = encodeEnvelope(value, staleAt, expiresAt, options?.tags);
    const envelope = decodeEnvelope(raw) as CacheEnvelope;
    if (expiresAt <= now || flight.invalidated) {
      return envelope.value;
    }
    if (this.redis !== undefined) {
      const written = await this.writeL2(key, raw, expiresAt - now, options?.tags, mode);
      if (written === false) {
        return envelope.value;
      }
    }
    this.fillL1(key, envelope, raw.length, flight);
    return envelope.value;
  }

  private lifetime(value: unknown, options: CacheCallOptions | undefined, now: number): { staleAt: number; expiresAt: number } {
    if (isNotFound(value)) {
      const staleAt = now + (options?.negativeTtlMs ?? this.settings.negativeTtlMs);
      return { staleAt, expiresAt: staleAt };
    }
    const staleAt = now + (options?.ttlMs ?? this.settings.ttlMs);
    return { staleAt, expiresAt: staleAt + (options?.graceMs ?? this.settings.graceMs) };
  }

  private fillL1(key: string, envelope: CacheEnvelope, rawLength: number, flight: { invalidated: boolean } | undefined): void {
    const l1 = this.l1;
    if (l1 === undefined || flight?.invalidated === true) {
      return;
    }
    const size = rawLength + key.length + L1_ENTRY_OVERHEAD_BYTES;
    if (size > this.settings.l1MaxEntryBytes || size > this.settings.l1MaxBytes) {
      l1.delete(key);
      return;
    }
    l1.set(key, new L1Entry(envelope.value, envelope.staleAt, envelope.expiresAt, envelope.tags), { size });
    // After set(): replacing an entry disposes the old one, which unindexes its tags.
    if (envelope.tags !== undefined) {
      for (const tag of envelope.tags) {
        let keys = this.tagIndex.get(tag);
        if (keys === undefined) {
          keys = new Set();
          this.tagIndex.set(tag, keys);
        }
        keys.add(key);
      }
    }
  }

  private unindexTags(key: string, tags: readonly string[]): void {
    for (const tag of tags) {
      const keys = this.tagIndex.get(tag);
      if (keys !== undefined) {
        keys.delete(key);
        if (keys.size === 0) {
          this.tagIndex.delete(tag);
        }
      }
    }
  }

  private evictTagFromL1(tag: string): void {
    const keys = this.tagIndex.get(tag);
    if (keys === undefined || this.l1 === undefined) {
      return;
    }
    for (const key of [...keys]) {
      this.l1.delete(key);
    }
    this.tagIndex.delete(tag);
  }

  private clearL1(): void {
    this.invalidateAllFlights();
    this.l1?.clear();
    this.tagIndex.clear();
  }

  private applyInvalidation(event: CacheInvalidateEvent): void {
    if (event.all) {
      this.clearL1();
      return;
    }
    for (const key of event.keys) {
      this.invalidateFlights(key);
      this.l1?.delete(key);
    }
    if (event.tags.length > 0) {
      this.invalidateAllFlights();
      for (const tag of event.tags) {
        this.evictTagFromL1(tag);
      }
    }
  }

  /** Later callers start a new flight; the running one still answers its own callers. */
  private invalidateFlights(key: string): void {
    for (const flights of [this.loads, this.reads, this.refreshes] as Map<string, { invalidated: boolean }>[]) {
      const flight = flights.get(key);
      if (flight !== undefined) {
        flight.invalidated = true;
        flights.delete(key);
      }
    }
  }

  private invalidateAllFlights(): void {
    for (const flights of [this.loads, this.reads, this.refreshes] as Map<string, { invalidated: boolean }>[]) {
      for (const flight of flights.values()) {
        flight.invalidated = true;
      }
      flights.clear();
    }
  }

  private endFlight<T>(flights: Map<string, Flight<T>>, key: string, flight: Flight<T>): void {
    if (flights.get(key) === flight) {
      flights.delete(key);
    }
  }

  private l2Usable(): boolean {
    return this.redis !== undefined && this.redis.status === 'ready' && this.breaker.allowRequest(coarseNow());
  }

  private async readL2(key: string): Promise<string | undefined> {
    if (!this.l2Usable()) {
      return undefined;
    }
    try {
      const raw = await (this.l2Reads as L2ReadBatcher).read(this.valuePrefix + key);
      this.breaker.recordSuccess();
      return raw ?? undefined;
    } catch (err) {
      this.l2Failed(err);
      return undefined;
    }
  }

  /** true when stored, false when a `fill` found the key taken, undefined when Redis is unavailable. */
  private async writeL2(
    key: string,
    raw: string,
    ttlMs: number,
    tags: readonly string[] | undefined,
    mode: WriteMode,
  ): Promise<boolean | undefined> {
    const valueKey = this.valuePrefix + key;
    if (tags === undefined || tags.length === 0) {
      if (!this.l2Usable()) {
        return undefined;
      }
      const redis = this.redis as Redis;
      try {
        const reply =
          mode === 'fill' ? await redis.set(valueKey, raw, 'PX', ttlMs, 'NX') : await redis.set(valueKey, raw, 'PX', ttlMs);
        this.breaker.recordSuccess();
        return reply === 'OK';
      } catch (err) {
        this.l2Failed(err);
        return undefined;
      }
    }
    const replies = await this.execL2((multi) => {
      if (mode === 'fill') {
        multi.set(valueKey, raw, 'PX', ttlMs, 'NX');
      } else {
        multi.set(valueKey, raw, 'PX', ttlMs);
      }
      this.addTagCommands(multi, key, tags, ttlMs);
    });
    return replies === undefined ? undefined : replies[0]?.[1] === 'OK';
  }

  /** A tag set lives as long as its longest-lived member (NX sets a first TTL, GT only extends). */
  private addTagCommands(multi: ChainableCommander, key: string, tags: readonly string[] | undefined, ttlMs: number): void {
    for (const tag of tags ?? []) {
      const tagKey = this.tagPrefix + tag;
      multi.sadd(tagKey, key);
      multi.pexpire(tagKey, ttlMs, 'NX');
      multi.pexpire(tagKey, ttlMs, 'GT');
    }
  }

  /** Runs the commands in one MULTI (all or none); undefined when Redis is unavailable. */
  private async execL2(build: (multi: ChainableCommander) => void): Promise<[Error | null, unknown][] | undefined> {
    if (!this.l2Usable()) {
      return undefined;
    }
    const multi = (this.redis as Redis).multi();
    build(multi);
    try {
      const replies = await multi.exec();
      this.breaker.recordSuccess();
      return replies ?? undefined;
    } catch (err) {
      this.l2Failed(err);
      return undefined;
    }
  }

  private async tryLock(lockKey: string, token: string): Promise<boolean | undefined> {
    if (!this.l2Usable()) {
      return undefined;
    }
    try {
      const reply = await (this.redis as Redis).set(lockKey, token, 'PX', this.settings.lockTtlMs, 'NX');
      this.breaker.recordSuccess();
      return reply === 'OK';
    } catch (err) {
      this.l2Failed(err);
      return undefined;
    }
  }

  /** Deletes the lock only if it still holds our token: after a TTL expiry it may be someone else's. */
  private async releaseLock(lockKey: string, token: string): Promise<void> {
    if (!this.l2Usable()) {
      return;
    }
    try {
      await (this.redis as Redis).eval(RELEASE_LOCK_SCRIPT, 1, lockKey, token);
      this.breaker.recordSuccess();
    } catch (err) {
      this.l2Failed(err);
    }
  }

  private invalidation(keys: string[], tags: string[]): string {
    return encodeInvalidation(this.channel, { instanceId: this.instanceId, keys, tags, all: false });
  }

  /** A write that did not reach Redis is remembered and replayed as a delete when Redis is back. */
  private afterBroadcast(replies: unknown[] | undefined, keys: string[], tags: string[]): void {
    if (replies !== undefined) {
      this.metrics.bus.sent.inc();
      return;
    }
    this.metrics.bus.dropped.inc();
    if (this.redis === undefined || this.lostTooMany) {
      return;
    }
    for (const key of keys) {
      this.lostKeys.add(key);
    }
    for (const tag of tags) {
      this.lostTags.add(tag);
    }
    if (this.lostKeys.size + this.lostTags.size > this.settings.maxPendingInvalidations) {
      this.lostTooMany = true;
      this.lostKeys.clear();
      this.lostTags.clear();
    }
  }

  private async replayLostWrites(): Promise<void> {
    if (this.replaying || (this.lostKeys.size === 0 && this.lostTags.size === 0 && !this.lostTooMany)) {
      return;
    }
    this.replaying = true;
    try {
      if (this.lostTooMany) {
        if (await this.dropNamespace()) {
          this.lostTooMany = false;
          this.logger.warn({ keyPrefix: this.settings.keyPrefix }, 'cache dropped its Redis namespace: too many writes were lost during an outage');
        }
        return;
      }
      const keys = [...this.lostKeys];
      const tags = [...this.lostTags];
      const replies = await this.execL2((multi) => {
        for (const key of keys) {
          multi.unlink(this.valuePrefix + key);
        }
        for (const tag of tags) {
          multi.eval(DELETE_TAG_SCRIPT, 1, this.tagPrefix + tag, this.valuePrefix);
        }
        multi.publish(this.channel, this.invalidation(keys, tags));
      });
      if (replies !== undefined) {
        keys.forEach((key) => this.lostKeys.delete(key));
        tags.forEach((tag) => this.lostTags.delete(tag));
        this.metrics.bus.sent.inc();
        this.logger.info({ keys: keys.length, tags: tags.length }, 'cache replayed writes lost during a Redis outage as deletes');
      }
    } finally {
      this.replaying = false;
    }
  }

  /** Deletes every value and tag key of this cache and tells every instance to clear its L1. */
  private async dropNamespace(): Promise<boolean> {
    const redis = this.redis as Redis;
    try {
      for (const prefix of [this.valuePrefix, this.tagPrefix]) {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', escapeGlob(prefix) + '*', 'COUNT', 1000);
          cursor = next;
          if (keys.length > 0) {
            await redis.unlink(...keys);
          }
        } while (cursor !== '0');
      }
      await redis.publish(
        this.channel,
        encodeInvalidation(this.channel, { instanceId: this.instanceId, keys: [], tags: [], all: true }),
      );
      this.metrics.bus.sent.inc();
      return true;
    } catch (err) {
      this.l2Failed(err);
      return false;
    }
  }

  private l2Failed(err: unknown): void {
    this.breaker.recordFailure(Date.now());
    if (!this.redisDownLogged) {
      this.redisDownLogged = true;
      this.logger.warn({ err }, 'cache L2 call failed; falling back to L1 and loaders');
    }
  }

  private onRedisError(err: Error): void {
    if (!this.redisDownLogged) {
      this.redisDownLogged = true;
      this.logger.warn({ err: err.message }, 'cache Redis connection error; falling back to L1 and loaders');
    }
  }
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

async function closeConnection(redis: Redis | undefined): Promise<void> {
  if (redis === undefined || redis.status === 'end') {
    return;
  }
  if (redis.status !== 'ready' && redis.status !== 'connect' && redis.status !== 'connecting') {
    // No socket (waiting to reconnect): cancelling the retry timer is all there is to do.
    redis.disconnect();
    return;
  }
  // Resolve only once the socket is gone, so a closed app leaves no handle behind.
  const ended = new Promise<void>((resolve) => redis.once('end', resolve));
  if (redis.status === 'ready') {
    await redis.quit().catch(() => redis.disconnect());
  } else {
    redis.disconnect();
  }
  await ended;
}
