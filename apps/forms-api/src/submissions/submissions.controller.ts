import { Body, Controller, Get, Headers, Param, Post, Req, Res } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CONSISTENCY_TOKEN_HEADER, ConsistencyTokenError, runWithConsistency } from '@formscale/db';
import { ApiError } from '../http/api-error';
import { parseId } from '../http/ids';
import { parseIdempotencyKey } from './idempotency';
import { RateLimiter } from './rate-limiter';
import { SubmissionsService } from './submissions.service';

export const SUBMIT_ROUTE = '/api/forms/:id/submissions';

function header(request: FastifyRequest, name: string, max: number): string | null {
  const value = request.headers[name];
  return typeof value === 'string' ? value.slice(0, max) : null;
}

@ApiTags('submissions')
@Controller('api')
export class SubmissionsController {
  constructor(
    private readonly submissions: SubmissionsService,
    private readonly rateLimiter: RateLimiter,
  ) {}

  @Post('forms/:id/submissions')
  @ApiOperation({ summary: 'Submit answers: validated, queued, answered 202 with the submission id' })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: '1–255 printable characters; a retry with the same key and body gets the same id' })
  async submit(
    @Param('id') rawId: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const decision = await this.rateLimiter.hit(request.ip);
    if (!decision.allowed) {
      throw new ApiError(429, `Too many submissions from your address; retry after ${decision.retryAfterSeconds} s.`, undefined, {
        'Retry-After': String(decision.retryAfterSeconds),
      });
    }
    const formId = parseId(rawId, 'form id');
    const idempotencyKey = parseIdempotencyKey(request.headers['idempotency-key']);
    const accepted = await this.submissions.submit({
      formId,
      body,
      idempotencyKey,
      client: {
        ip: request.ip.slice(0, 64),
        userAgent: header(request, 'user-agent', 512),
        requestId: String(request.id).slice(0, 128),
      },
    });
    if (accepted.replayed) void reply.header('Idempotent-Replayed', 'true');
    void reply
      .status(202)
      .header('Location', `/api/submissions/${accepted.id}`)
      .send({ id: accepted.id, status: accepted.status });
  }

  @Get('submissions/:id')
  @ApiOperation({ summary: 'Where a submission is: queued, stored (with its row) or failed (with the reason)' })
  @ApiHeader({ name: CONSISTENCY_TOKEN_HEADER, required: false, description: 'read-your-writes token from an earlier write' })
  async status(@Param('id') rawId: string, @Headers(CONSISTENCY_TOKEN_HEADER) token: string | undefined): Promise<unknown> {
    const id = parseId(rawId, 'submission id');
    let result;
    try {
      result = await runWithConsistency(token, () => this.submissions.status(id));
    } catch (error) {
      if (error instanceof ConsistencyTokenError) throw new ApiError(400, error.message);
      throw error;
    }
    if (result === undefined) {
      throw new ApiError(404, `There is no submission ${id}, or it expired from the queue; check the id from the 202 answer.`);
    }
    return result;
  }
}
