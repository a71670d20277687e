import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { isQuietPath } from './quiet-paths';
import { currentRequestId } from './request-context';

/**
 * pino mixin: a line logged while a request is handled carries its id as
 * `req.id`, wherever in the code it was logged (see bindRequestContext).
 * pino merges into the object returned, so it must be a new one each time.
 */
export function requestIdMixin(): { req?: { id: string } } {
  const id = currentRequestId();
  return id === undefined ? {} : { req: { id } };
}

/**
 * One line per answered request, as pino-http writes it: `request completed`
 * at info, `request errored` at error for a 5xx. Nothing is built when info
 * is off, so a quiet log level costs one level check per request.
 */
export function logRequests(fastify: FastifyInstance, logger: Logger): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    if (logger.isLevelEnabled('info') && !isQuietPath(request.url)) {
      const line = {
        req: { id: request.id, method: request.method, url: request.url },
        res: { statusCode: reply.statusCode },
        responseTime: Math.round(reply.elapsedTime),
      };
      if (reply.statusCode >= 500) logger.error(line, 'request errored');
      else logger.info(line, 'request completed');
    }
    done();
  });
}
