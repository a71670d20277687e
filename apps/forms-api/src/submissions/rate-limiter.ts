import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { FormsApiConfig } from '@formscale/config';
import { API_REDIS, FORMS_API_CONFIG } from '../http/tokens';

/** The script as a command: ioredis sends EVALSHA (the 40-byte hash) and the script text only after a NOSCRIPT. */
interface RateLimitRedis extends Redis {
  formscaleRateLease(key: string, windowMs: number, wanted: number, limit: number, share: number): Promise<[number, number]>;
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/*
 * A fixed window per client IP, counted in Redis so that every API instance
 * shares it. An instance takes permits from the window's count in leases:
 * the first hit of a window leases 1, each further lease in the window twice
 * as many, so a client that sends a few submissions costs one round trip
 * each, and a busy one (an office behind one NAT, a script) one per many.
 *
 * The script grants at most what is left of the limit, and at most a
 * LEASE_SHARE-th of it (but 1 at least), so the count never passes the limit,
 * on any number of instances, and the permits one instance holds unused while
 * another must refuse stay a small part of what was left when they were leased.
 * Atomic: no race between reading the count, adding to it and the expiry.
 */
const LEASE_SCRIPT = `
local window_ms, wanted, limit, share = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local left = limit - tonumber(redis.call('GET', KEYS[1]) or '0')
local grant = math.min(wanted, math.max(1, math.floor(left / share)), math.max(0, left))
if grant > 0 and redis.call('INCRBY', KEYS[1], grant) == grant then redis.call('PEXPIRE', KEYS[1], window_ms) end
return {grant, redis.call('PTTL', KEYS[1])}
`;

/** Largest lease: a busy client's instance asks Redis once per this many submissions at most. */
const MAX_LEASE = 64;
/** A lease takes at most this fraction of what is left of the window's limit. */
const LEASE_SHARE = 8;
/**
 * Clients whose window this instance remembers: about 10 MB. Past it the one
 * remembered longest is forgotten, with its unused permits, which only makes that
 * client's next hit ask Redis; so a flood of addresses cannot grow the heap.
 */
const MAX_CLIENTS = 100_000;

const ALLOWED: RateDecision = { allowed: true };
const ALLOWED_NOW: Promise<RateDecision> = Promise.resolve(ALLOWED);

/** One client IP's window, as this instance sees it. */
class ClientWindow {
  /** Leased from Redis and not used yet. */
  permits = 0;
  /** Redis granted nothing: the window's limit is reached. */
  exhausted = false;
  nextLease = 1;
  lease: Promise<void> | undefined;

  constructor(public endsAt: number) {}
}

@Injectable()
export class RateLimiter implements OnModuleDestroy {
  private readonly logger = new Logger(RateLimiter.name);
  private readonly redis: RateLimitRedis;
  private readonly windowMs: number;
  private readonly windows = new Map<string, ClientWindow>();
  // Forgets the windows that ended, so memory follows the clients of one window.
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    @Inject(API_REDIS) redis: Redis,
    @Inject(FORMS_API_CONFIG) private readonly config: FormsApiConfig,
  ) {
    redis.defineCommand('formscaleRateLease', { numberOfKeys: 1, lua: LEASE_SCRIPT });
    this.redis = redis as RateLimitRedis;
    this.windowMs = config.rateLimitWindowSeconds * 1000;
    this.sweeper = setInterval(() => this.sweep(), this.windowMs).unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  /**
   * Counts one submission from `ip`. When Redis cannot answer, the request is
   * let through: the submission itself then fails with 503, and nginx limits
   * at the edge as well, so failing open costs nothing and keeps reads alive.
   */
  hit(ip: string): Promise<RateDecision> {
    const now = Date.now();
    let window = this.windows.get(ip);
    if (window === undefined || now >= window.endsAt) {
      window = this.open(ip, now);
    }
    if (window.permits > 0) {
      window.permits--;
      return ALLOWED_NOW;
    }
    if (window.exhausted) {
      return Promise.resolve({ allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((window.endsAt - now) / 1000)) });
    }
    return this.afterLease(ip, window);
  }

  private open(ip: string, now: number): ClientWindow {
    const window = new ClientWindow(now + this.windowMs);
    // Deleted first so that the Map's order stays the order in which windows opened.
    this.windows.delete(ip);
    if (this.windows.size >= MAX_CLIENTS) {
      const oldest = this.windows.keys().next().value;
      if (oldest !== undefined) this.windows.delete(oldest);
    }
    this.windows.set(ip, window);
    return window;
  }

  /** Waits for a lease (one per window at a time, shared by the hits that need it), then decides again. */
  private async afterLease(ip: string, window: ClientWindow): Promise<RateDecision> {
    try {
      await (window.lease ??= this.takeLease(ip, window).finally(() => (window.lease = undefined)));
    } catch (error) {
      this.logger.warn({ err: error }, 'rate limit unavailable, letting the request through');
      return ALLOWED;
    }
    return this.hit(ip);
  }

  private async takeLease(ip: string, window: ClientWindow): Promise<void> {
    const key = `${this.config.queuePrefix}:ratelimit:submit:${ip}`;
    const wanted = window.nextLease;
    const [granted, ttlMs] = await this.redis.formscaleRateLease(key, this.windowMs, wanted, this.config.rateLimitSubmissions, LEASE_SHARE);
    window.endsAt = Date.now() + (ttlMs > 0 ? ttlMs : this.windowMs);
    window.permits += granted;
    window.exhausted = granted === 0;
    window.nextLease = Math.min(wanted * 2, MAX_LEASE);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [ip, window] of this.windows) {
      if (now >= window.endsAt && window.lease === undefined) this.windows.delete(ip);
    }
  }
}
