import type { FastifyRequest } from 'fastify';
import { ApiError } from '../http/api-error';
import { apiRoute, type ApiRoute } from '../http/api-routes';
import { parseId } from '../http/ids';
import { parseIdempotencyKey } from './idempotency';
import type { RateLimiter } from './rate-limiter';
import type { SubmissionsService } from './submissions.service';

function header(request: FastifyRequest, name: string, max: number): string | null {
  const value = request.headers[name];
  return typeof value === 'string' ? value.slice(0, max) : null;
}

/**
 * POST /api/forms/:id/submissions — rate limited per IP, validated against
 * the published version, queued, answered 202 with the submission id.
 * Bodies over `bodyLimitBytes` get 413 before they are parsed.
 */
export function submitRoute(submissions: SubmissionsService, rateLimiter: RateLimiter, bodyLimitBytes: number): ApiRoute {
  return apiRoute<{ Params: { id: string } }>(
    {
      method: 'POST',
      url: '/api/forms/:id/submissions',
      bodyLimit: bodyLimitBytes,
      handler: async (request, reply) => {
        const decision = await rateLimiter.hit(request.ip);
        if (!decision.allowed) {
          throw new ApiError(429, `Too many submissions from your address; retry after ${decision.retryAfterSeconds} s.`, undefined, {
            'Retry-After': String(decision.retryAfterSeconds),
          });
        }
        const formId = parseId(request.params.id, 'form id');
        const idempotencyKey = parseIdempotencyKey(request.headers['idempotency-key']);
        const accepted = await submissions.submit({
          formId,
          body: request.body,
          idempotencyKey,
          client: {
            ip: request.ip.slice(0, 64),
            userAgent: header(request, 'user-agent', 512),
            requestId: request.id.slice(0, 128),
          },
        });
        if (accepted.replayed) void reply.header('Idempotent-Replayed', 'true');
        return reply.status(202).header('Location', `/api/submissions/${accepted.id}`).send({ id: accepted.id, status: accepted.status });
      },
    },
    {
      tags: ['submissions'],
      summary: 'Submit answers: validated, queued, answered 202 with the submission id',
      parameters: [
        { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
        {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          schema: { type: 'string' },
          description: '1–255 printable characters; a retry with the same key and body gets the same id',
        },
      ],
      requestBody: {
        required: true,
        content: { 'application/json': { schema: { type: 'object', description: 'field names of the published version to answers' } } },
      },
      responses: {
        '202': { description: 'queued: {id, status: "queued"}, Location names the status endpoint' },
        '400': { description: 'malformed body or header, or answers that break the fields\' rules ({field, message} in details)' },
        '404': { description: 'no such form' },
        '409': { description: 'the form is not published, or archived' },
        '413': { description: 'the body is over the submission limit' },
        '422': { description: 'the Idempotency-Key was used with another body' },
        '429': { description: 'too many submissions from this address; see Retry-After' },
        '503': { description: 'the queue could not take the submission; nothing was saved; see Retry-After' },
      },
    },
  );
}
