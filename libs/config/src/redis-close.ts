/**
 * ioredis options every connection of ours takes. When a client is closed
 * while its socket is still connecting (or after the connect was refused),
 * ioredis destroys that socket only after `disconnectTimeout`, 2 s by default:
 * every process stopping while Redis is away stayed that much longer (and Jest
 * warned it "did not exit"). 100 ms is ample for a socket that is going anyway.
 */
export const REDIS_CLOSE_PROMPTLY = { disconnectTimeout: 100 } as const;
