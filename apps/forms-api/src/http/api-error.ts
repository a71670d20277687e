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

/** Every error leaves as ApiErrorBody; anything unexpected is logged and answered 500 without internals. */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('ApiExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
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
    this.logger.error({ err: exception }, 'unhandled error');
    void reply.status(500).send(errorBody(500, 'Something went wrong on our side; retry later. The request id is in X-Request-Id.'));
  }
}

/** Fastify's own 4xx (body parsing) in our shape and words. */
export function fastifyErrorBody(error: FastifyError): ApiErrorBody {
  const status = error.statusCode ?? 400;
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return errorBody(413, 'The request body is larger than this endpoint accepts; send fewer or shorter answers.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return errorBody(415, 'Send the body as JSON with Content-Type: application/json.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return errorBody(400, 'The body is empty; send a JSON object of field names to answers.');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case undefined:
      if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
        return errorBody(400, `The body is not valid JSON (${error.message}); send a JSON object of field names to answers.`);
      }
      return errorBody(status, error.message);
    default:
      return errorBody(status, error.message);
  }
}

/** For errors Fastify raises before Nest sees the request (body parsing, limits). */
export function fastifyErrorHandler(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const status = error.statusCode ?? 500;
  if (status >= 500) {
    reply.log.error({ err: error }, 'unhandled error');
    void reply.status(500).send(errorBody(500, 'Something went wrong on our side; retry later. The request id is in X-Request-Id.'));
    return;
  }
  void reply.status(status).send(fastifyErrorBody(error));
}
