import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { FormsApiConfig } from '@formscale/config';
import { API_REDIS, FORMS_API_CONFIG } from '../http/tokens';

/** The script as a command: ioredis sends EVALSHA (the 40-byte hash) and the script text only after a NOSCRIPT. */
interface RateLimitRedis extends Redis {
  formscaleRateHit(key: string, windowMs: number): Promise<[number, number]>;
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/*
 * A fixed window per client IP, counted atomically in Redis so every API
 * instance shares it: INCR, set the expiry on the first hit, return the count
 * and the time left. One round trip, no race between INCR and PEXPIRE.
 */
const HIT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {count, redis.call('PTTL', KEYS[1])}
`;

@Injectable()
export class RateLimiter {
  private readonly logger = new Logger(RateLimiter.name);

  private readonly redis: RateLimitRedis;

  constructor(
    @Inject(API_REDIS) redis: Redis,
    @Inject(FORMS_API_CONFIG) private readonly config: FormsApiConfig,
  ) {
    redis.defineCommand('formscaleRateHit', { numberOfKeys: 1, lua: HIT_SCRIPT });
    this.redis = redis as RateLimitRedis;
  }

  /**
   * Counts one submission from `ip`. When Redis cannot answer, the request is
   * let through: the submission itself then fails with 503, and nginx limits
   * at the edge as well, so failing open costs nothing and keeps reads alive.
   */
  async hit(ip: string): Promise<RateDecision> {
    const windowMs = this.config.rateLimitWindowSeconds * 1000;
    const key = `${this.config.queuePrefix}:ratelimit:submit:${ip}`;
    try {
      const [count, ttlMs] = await this.redis.formscaleRateHit(key, windowMs);
      if (count <= this.config.rateLimitSubmissions) return { allowed: true };
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((ttlMs > 0 ? ttlMs : windowMs) / 1000)) };
    } catch (error) {
      this.logger.warn({ err: error }, 'rate limit unavailable, letting the request through');
      return { allowed: true };
    }
  }
}
