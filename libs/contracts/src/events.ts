import { z } from 'zod';

/**
 * Fire-and-forget events travel over @nestjs/microservices' Redis transport: the
 * event name is the pattern, and an instance may prefix it (the cache prefixes it
 * with its key prefix so that independent caches sharing one Redis stay apart).
 */
export const CACHE_INVALIDATE_EVENT = 'cache.invalidate';

/**
 * Sent by a cache instance after it changed or removed entries, so that every other
 * instance drops them from its in-process L1. `all` asks every instance to clear its
 * L1 (sent when more writes were lost during a Redis outage than could be replayed).
 */
export const cacheInvalidateEventSchema = z.object({
  instanceId: z.string().min(1),
  keys: z.array(z.string()).default([]),
  tags: z.array(z.string()).default([]),
  all: z.boolean().default(false),
});

export type CacheInvalidateEvent = z.infer<typeof cacheInvalidateEventSchema>;
