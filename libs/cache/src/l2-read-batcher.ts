import type { Redis } from 'ioredis';

/**
 * Reads of L2 values asked for in the same tick go to Redis as one MGET.
 *
 * Under concurrency (many requests missing L1 at once, a cold start, a bus-triggered
 * L1 clear) that is one write, one round trip and one reply for the lot instead of one
 * per key; the write system call per command is what dominates a lone GET here. A
 * read waits for nothing but the end of the current tick. Keys must live on one Redis
 * (a single node or a replicated one): Redis Cluster would refuse an MGET across slots.
 */
export class L2ReadBatcher {
  private keys: string[] = [];
  private resolvers: Array<(raw: string | null) => void> = [];
  private rejecters: Array<(err: unknown) => void> = [];

  constructor(
    private readonly redis: Redis,
    /** Bounds one reply's size: a larger batch is split into several MGETs. */
    private readonly maxBatch = 256,
  ) {}

  read(key: string): Promise<string | null> {
    if (this.keys.length === 0) {
      // nextTick, not a microtask: callers resumed by one reply all ask again before it runs.
      process.nextTick(this.flush);
    }
    this.keys.push(key);
    return new Promise<string | null>((resolve, reject) => {
      this.resolvers.push(resolve);
      this.rejecters.push(reject);
    });
  }

  private readonly flush = (): void => {
    const { keys, resolvers, rejecters } = this;
    this.keys = [];
    this.resolvers = [];
    this.rejecters = [];
    for (let start = 0; start < keys.length; start += this.maxBatch) {
      const end = Math.min(start + this.maxBatch, keys.length);
      this.redis.mget(keys.slice(start, end)).then(
        (values) => {
          for (let i = start; i < end; i++) {
            (resolvers[i] as (raw: string | null) => void)(values[i - start] ?? null);
          }
        },
        (err: unknown) => {
          for (let i = start; i < end; i++) {
            (rejecters[i] as (err: unknown) => void)(err);
          }
        },
      );
    }
  };
}
