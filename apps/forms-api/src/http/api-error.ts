import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';

/** The body of every error answer: what was wrong and what to do. */
export interface ApiErrorBody {
  statusCode: number;
  error: string;
  message: string;
  details?: unknown;
}

/** An error meant for the client, with optional details and headers (Retry-After). */
export class ApiError extends HttpException {
  constructor(
    status: number,
    message: string,
    readonly details?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message, status);
  }
}

export function errorBody(status: number, message: string, details?: unknown): ApiErrorBody {
  const body: ApiErrorBody = { statusCode: status, error: STATUS_CODES[status] ?? 'Error', message };
  if (details !== undefined) body.details = details;
  return body;
}

function messageOf(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : exception.message;
}

const logger = new Logger('ApiError');

/**
 * Answers any error as ApiErrorBody, from a Nest handler (ApiExceptionFilter)
 * or from Fastify (apiErrorHandler): the client's mistakes with their status
 * and words, anything unexpected logged and answered 500 without internals.
 */
export function sendError(reply: FastifyReply, exception: unknown): void {
  if (exception instanceof ApiError) {
    void reply.headers(exception.headers).status(exception.getStatus()).send(errorBody(exception.getStatus(), exception.message, exception.details));
    return;
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    if (typeof response === 'object' && !('message' in response)) {
      // A body with its own shape (the health check's report) is the answer; keep it.
      void reply.status(status).send(response);
      return;
    }
    const message = status === HttpStatus.NOT_FOUND ? 'No such endpoint; see /api/docs for the API.' : messageOf(exception);
    void reply.status(status).send(errorBody(status, message));
    return;
  }
  const fastifyStatus = (exception as Partial<FastifyError>).statusCode;
  if (typeof fastifyStatus === 'number' && fastifyStatus >= 400 && fastifyStatus < 500) {
    void reply.status(fastifyStatus).send(fastifyErrorBody(exception as FastifyError));
    return;
  }
  logger.error({ err: exception }, 'unhandled error');
  void reply.status(500).send(errorBody(500, 'Something went wrong on our side; retry later. The request id is in X-Request-Id.'));
}

/** Errors of Nest's handlers (and guards), answered by sendError. */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    sendError(host.switchToHttp().getResponse<FastifyReply>(), exception);
  }
}

/**
 * The Fastify error handler of the routes Fastify serves itself (apiRoute):
 * their handlers' errors and those Fastify raises before (body limit and
 * parsing), answered by sendError.
 */
export function apiErrorHandler(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  sendError(reply, error);
}

/** Fastify's own 4xx (body parsing) in our shape and words. */
function fastifyErrorBody(error: FastifyError): ApiErrorBody {
  const status = error.statusCode ?? 400;
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return errorBody(413, 'The request body is larger than this endpoint accepts; send fewer or shorter answers.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return errorBody(415, 'Send the body as JSON with Content-Type: application/json.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return errorBody(400, 'The body is empty; send a JSON object of field names to answers.');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return errorBody(400, 'The body is not valid JSON; send a JSON object of field names to answers.');
    case undefined:
      if (error instanceof SyntaxError) {
        return errorBody(400, `The body is not valid JSON (${error.message}); send a JSON object of field names to answers.`);
      }
      return errorBody(status, error.message);
    default:
      return errorBody(status, error.message);
  }
}
