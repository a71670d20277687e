import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * One scaler acts at a time: the holder of a Redis key with a TTL. The leader
 * renews it every third of the TTL, only while the key still holds its own
 * token (compare-and-pexpire), and deletes it on a clean stop
 * (compare-and-delete) so a standby takes over at its next try. A leader that
 * cannot renew stops acting once its own TTL has run out, before anyone else
 * can have taken the key.
 */

const RENEW_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

export interface LeaderLeaseOptions {
  key: string;
  ttlMs: number;
  /** Told when this instance becomes leader (true) or stops being it (false). */
  onChange?: (leader: boolean) => void;
}

export class LeaderLease {
  readonly token = randomUUID();
  private validUntil = 0;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> = Promise.resolve();
  private wasLeader = false;

  constructor(
    private readonly redis: Redis,
    private readonly options: LeaderLeaseOptions,
  ) {}

  /** Leader now: the last acquire or renew succeeded, and its TTL, counted from before the call, has not run out. */
  isLeader(now = Date.now()): boolean {
    return now < this.validUntil;
  }

  start(): void {
    this.ticking = this.tick();
    // A third of the TTL: two renewals may fail before the lease expires.
    this.timer = setInterval(() => {
      this.ticking = this.ticking.then(() => this.tick());
    }, Math.max(1, Math.floor(this.options.ttlMs / 3)));
    this.timer.unref();
  }

  /** One try: renew when leader, else acquire. Errors (Redis away) leave the lease to expire. */
  async tick(): Promise<void> {
    const startedAt = Date.now();
    try {
      const held = this.wasLeader ? (await this.renew()) || (await this.acquire()) : await this.acquire();
      this.validUntil = held ? startedAt + this.options.ttlMs : 0;
    } catch {
      // Keep validUntil: the lease may still be ours until it runs out.
    }
    this.notify();
  }

  private async renew(): Promise<boolean> {
    return (await this.redis.eval(RENEW_SCRIPT, 1, this.options.key, this.token, String(this.options.ttlMs))) === 1;
  }

  private async acquire(): Promise<boolean> {
    return (await this.redis.set(this.options.key, this.token, 'PX', this.options.ttlMs, 'NX')) === 'OK';
  }

  private notify(): void {
    const leader = this.isLeader();
    if (leader !== this.wasLeader) {
      this.wasLeader = leader;
      this.options.onChange?.(leader);
    }
  }

  /** Stops trying and gives the lease up, so a standby need not wait for the TTL. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.ticking;
    this.validUntil = 0;
    try {
      await this.redis.eval(RELEASE_SCRIPT, 1, this.options.key, this.token);
    } catch {
      // Redis away: the lease expires on its own.
    }
    this.notify();
  }
}
