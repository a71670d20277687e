import type { FastifyInstance } from 'fastify';
import { CONSISTENCY_TOKEN_HEADER, ConsistencyTokenError, parseConsistencyToken, runWithConsistency } from '@formscale/db';
import { ApiError, sendError } from './api-error';

/**
 * Read-your-writes for every route: a request that carries the token an earlier
 * write answered with (X-Consistency-Token) is handled in that consistency context,
 * so its reads are served by a node that has replayed the write. A malformed token
 * is the client's mistake: 400 before any handler runs.
 */
export function honourConsistencyTokens(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    const header = request.headers[CONSISTENCY_TOKEN_HEADER];
    if (header === undefined) {
      done();
      return;
    }
    let lsn: bigint | undefined;
    try {
      lsn = parseConsistencyToken(header);
    } catch (error) {
      if (!(error instanceof ConsistencyTokenError)) throw error;
      // Answering from the hook ends the request; done() is not called.
      sendError(reply, new ApiError(400, error.message));
      return;
    }
    runWithConsistency(lsn, done);
  });
}
