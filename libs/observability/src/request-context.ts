import type { FastifyInstance } from 'fastify';
import { AsyncLocalStorage } from 'node:async_hooks';
import { isQuietPath } from './quiet-paths';

/** What code running for a request can learn about it without being handed the request. */
export interface RequestContext {
  readonly id: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Runs fn, and everything it starts, in the context of one request. */
export function runInRequestContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The id of the request the caller runs for; undefined outside a request. */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.id;
}

/**
 * Every request, on whatever route (Nest's or Fastify's own): its id (see
 * requestIdFrom) is echoed in X-Request-Id, and the rest of its handling runs
 * in its request context. A Fastify hook rather than Nest middleware, so it
 * costs one function call and covers routes Nest does not know.
 */
export function bindRequestContext(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('X-Request-Id', request.id);
    // Entering an AsyncLocalStorage even once turns on Node 20's promise hooks for
    // the life of the process, a cost every later promise pays: a worker that
    // serves nothing but probes would pay it on every job.
    if (isQuietPath(request.url)) done();
    else runInRequestContext({ id: request.id }, done);
  });
}
