import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { createHash } from 'node:crypto';
import type { FormsApiConfig } from '@formscale/config';
import { ApiError } from '../http/api-error';
import { API_REDIS, FORMS_API_CONFIG } from '../http/tokens';

/** 1–255 printable ASCII characters, as Stripe accepts. */
const KEY_FORMAT = /^[\x20-\x7e]{1,255}$/;

/** Validates the Idempotency-Key header; absent means the request is not idempotent. */
export function parseIdempotencyKey(header: string | string[] | undefined): string | null {
  if (header === undefined) return null;
  if (typeof header !== 'string' || !KEY_FORMAT.test(header)) {
    throw new ApiError(
      400,
      'The Idempotency-Key header must be 1 to 255 printable ASCII characters (a UUID is a good choice), sent once.',
    );
  }
  return header;
}

export interface IdempotencyRecord {
  /** sha256 of the form id and the body, to tell a retry from a different request under the same key. */
  hash: string;
  submissionId: string;
  /** pending: claimed, job maybe not stored yet; queued: the job is in Redis. */
  state: 'pending' | 'queued';
}

export type Claim = { claimed: true } | { claimed: false; existing: IdempotencyRecord };

/*
 * SET NX and GET in one step: either this request claims the key with its own
 * record, or it gets the record of the request that did. 50 concurrent
 * requests with one key see exactly one claim.
 */
const CLAIM_SCRIPT = `
local existing = redis.call('GET', KEYS[1])
if existing then return existing end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return false
`;

/** Deletes the key only if it still holds this request's claim (a failed first attempt frees the key for a retry). */
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** The scripts as commands: ioredis sends EVALSHA and the script text only after a NOSCRIPT. */
interface IdempotencyRedis extends Redis {
  formscaleIdempotencyClaim(key: string, record: string, ttlSeconds: number): Promise<string | null>;
  formscaleIdempotencyRelease(key: string, record: string): Promise<number>;
}

export function requestHash(formId: string, body: unknown): string {
  return createHash('sha256').update(formId).update('\n').update(JSON.stringify(body)).digest('hex');
}

@Injectable()
export class IdempotencyStore {
  private readonly redis: IdempotencyRedis;

  constructor(
    @Inject(API_REDIS) redis: Redis,
    @Inject(FORMS_API_CONFIG) private readonly config: FormsApiConfig,
  ) {
    redis.defineCommand('formscaleIdempotencyClaim', { numberOfKeys: 1, lua: CLAIM_SCRIPT });
    redis.defineCommand('formscaleIdempotencyRelease', { numberOfKeys: 1, lua: RELEASE_SCRIPT });
    this.redis = redis as IdempotencyRedis;
  }

  private keyFor(formId: string, key: string): string {
    // Hashed: client keys may hold any printable character and be 255 long.
    const digest = createHash('sha256').update(key).digest('hex');
    return `${this.config.queuePrefix}:idempotency:${formId}:${digest}`;
  }

  async claim(formId: string, key: string, record: IdempotencyRecord): Promise<Claim> {
    const result = await this.redis.formscaleIdempotencyClaim(this.keyFor(formId, key), JSON.stringify(record), this.config.idempotencyTtlSeconds);
    if (result === null) return { claimed: true };
    return { claimed: false, existing: JSON.parse(result) as IdempotencyRecord };
  }

  async markQueued(formId: string, key: string, record: IdempotencyRecord): Promise<void> {
    await this.redis.set(this.keyFor(formId, key), JSON.stringify({ ...record, state: 'queued' }), 'KEEPTTL', 'XX');
  }

  async release(formId: string, key: string, record: IdempotencyRecord): Promise<void> {
    await this.redis.formscaleIdempotencyRelease(this.keyFor(formId, key), JSON.stringify(record));
  }
}
