import { InjectQueue } from '@nestjs/bullmq';
import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { JOB_ID_FORMATS, QUEUE_NAMES, SUBMISSIONS_QUEUE, WEBHOOKS_QUEUE, type QueueName } from '@formscale/contracts';
import {
  DEAD_LETTER_PAGE_MAX,
  DeadLetterNotFoundError,
  deadLetterPageSchema,
  deleteDeadLetter,
  inspectDeadLetter,
  InvalidReplayDataError,
  isJobIdOf,
  isQueueName,
  listDeadLetters,
  purgeDeadLetters,
  replayDeadLetter,
  type DeadLetter,
} from '@formscale/queue';
import { ApiError } from '../http/api-error';
import { parseInput } from '../http/ids';
import { API_REDIS } from '../http/tokens';
import { AdminKeyGuard } from './admin-key.guard';

/** The body of a replay: nothing, or the corrected payload that replaces the failed one. */
const replaySchema = z.strictObject({ data: z.record(z.string(), z.unknown()).optional() });

const QUEUE_PARAM = { name: 'queue', enum: [...QUEUE_NAMES], description: 'The queue whose failed jobs to reach' };
const ID_PARAM = {
  name: 'id',
  description: `The job id: in ${SUBMISSIONS_QUEUE}, ${JOB_ID_FORMATS[SUBMISSIONS_QUEUE]}; in ${WEBHOOKS_QUEUE}, ${JOB_ID_FORMATS[WEBHOOKS_QUEUE]}`,
};

function queueName(name: string): QueueName {
  if (!isQueueName(name)) {
    throw new ApiError(400, `There is no queue ${JSON.stringify(name.slice(0, 64))}; use one of ${QUEUE_NAMES.join(', ')}.`);
  }
  return name;
}

function notFound(error: DeadLetterNotFoundError): ApiError {
  return new ApiError(404, error.message);
}

/**
 * The dead letters of each queue (jobs in its failed set) over HTTP: the same
 * operations as the worker's `npm run dead-letters`, from @formscale/queue.
 * A replay puts the job back under its original id, so replaying twice runs
 * it once and a submission is stored once.
 */
@ApiTags('admin')
@ApiSecurity('admin')
@UseGuards(AdminKeyGuard)
@Controller('api/admin/dead-letters')
export class DeadLettersController {
  private readonly queues: Readonly<Record<QueueName, Queue>>;

  constructor(
    @InjectQueue(SUBMISSIONS_QUEUE) submissions: Queue,
    @InjectQueue(WEBHOOKS_QUEUE) webhooks: Queue,
    @Inject(API_REDIS) private readonly redis: Redis,
  ) {
    this.queues = { [SUBMISSIONS_QUEUE]: submissions, [WEBHOOKS_QUEUE]: webhooks };
  }

  @Get(':queue')
  @ApiOperation({ summary: 'List the dead letters of a queue, newest failure first (offset pagination)' })
  @ApiParam(QUEUE_PARAM)
  @ApiQuery({ name: 'offset', required: false, type: Number, description: 'Dead letters to skip (default 0)' })
  @ApiQuery({ name: 'limit', required: false, type: Number, description: `Page size, 1 to ${DEAD_LETTER_PAGE_MAX} (default 50)` })
  @ApiResponse({ status: 200, description: '{ items, total, offset, limit, nextOffset }; nextOffset is null on the last page' })
  @ApiResponse({ status: 400, description: 'Unknown queue, or offset/limit out of range' })
  async list(@Param('queue') rawQueue: string, @Query() query: unknown) {
    const queue = this.queue(rawQueue);
    const page = parseInput(deadLetterPageSchema, query, 'query');
    return this.reach(() => listDeadLetters(queue, page));
  }

  @Get(':queue/:id')
  @ApiOperation({ summary: 'One dead letter: its payload, the reason of its last failure, attempts and stack trace' })
  @ApiParam(QUEUE_PARAM)
  @ApiParam(ID_PARAM)
  @ApiResponse({ status: 400, description: 'Unknown queue, or an id that cannot be a job of the queue' })
  @ApiResponse({ status: 404, description: 'No failed job with this id in the queue' })
  async inspect(@Param('queue') rawQueue: string, @Param('id') rawId: string): Promise<DeadLetter> {
    const { queue, id } = this.target(rawQueue, rawId);
    const letter = await this.reach(() => inspectDeadLetter(queue, id));
    if (letter === undefined) throw notFound(new DeadLetterNotFoundError(queue.name, id));
    return letter;
  }

  @Post(':queue/:id/replay')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Run a dead letter again under its original id, attempts reset (idempotent: a second replay finds no dead letter)',
  })
  @ApiParam(QUEUE_PARAM)
  @ApiParam(ID_PARAM)
  @ApiBody({
    required: false,
    description: "Optional { data }: a corrected payload; it must pass the queue's job schema and keep the job's id",
    schema: { type: 'object', properties: { data: { type: 'object', additionalProperties: true } } },
  })
  @ApiResponse({ status: 202, description: 'Back in the queue: { id, queue, status: "waiting" }' })
  @ApiResponse({ status: 400, description: 'Unknown queue, malformed id, or corrected data that the schema refuses (details list the fields)' })
  @ApiResponse({ status: 404, description: 'No failed job with this id in the queue (never failed, already replayed, or purged)' })
  async replay(@Param('queue') rawQueue: string, @Param('id') rawId: string, @Body() body: unknown) {
    const { queue, id } = this.target(rawQueue, rawId);
    const { data } = parseInput(replaySchema, body ?? {}, 'replay body');
    try {
      await this.reach(() => replayDeadLetter(queue, id, data));
    } catch (error) {
      if (error instanceof DeadLetterNotFoundError) throw notFound(error);
      if (error instanceof InvalidReplayDataError) throw new ApiError(400, error.message, error.problems);
      throw error;
    }
    return { id, queue: queue.name, status: 'waiting' };
  }

  @Delete(':queue/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete one dead letter' })
  @ApiParam(QUEUE_PARAM)
  @ApiParam(ID_PARAM)
  @ApiResponse({ status: 204, description: 'Deleted' })
  @ApiResponse({ status: 404, description: 'No failed job with this id in the queue' })
  async delete(@Param('queue') rawQueue: string, @Param('id') rawId: string): Promise<void> {
    const { queue, id } = this.target(rawQueue, rawId);
    if (!(await this.reach(() => deleteDeadLetter(queue, id)))) throw notFound(new DeadLetterNotFoundError(queue.name, id));
  }

  @Delete(':queue')
  @ApiOperation({ summary: 'Purge: delete every dead letter of the queue' })
  @ApiParam(QUEUE_PARAM)
  @ApiResponse({ status: 200, description: '{ queue, purged }: how many were deleted' })
  async purge(@Param('queue') rawQueue: string) {
    const queue = this.queue(rawQueue);
    return { queue: queue.name, purged: await this.reach(() => purgeDeadLetters(queue)) };
  }

  private queue(name: string): Queue {
    return this.queues[queueName(name)];
  }

  /** The queue and the job id, lower-cased as the producers make them; 400 when the id cannot be a job of that queue. */
  private target(rawQueue: string, rawId: string): { queue: Queue; id: string } {
    const name = queueName(rawQueue);
    const id = rawId.toLowerCase();
    if (!isJobIdOf(name, id)) {
      throw new ApiError(400, `The id ${JSON.stringify(rawId.slice(0, 100))} is not a job id of queue ${name}; it is ${JOB_ID_FORMATS[name]}.`);
    }
    return { queue: this.queues[name], id };
  }

  /** Runs a queue operation; with Redis unreachable, 503 instead of a bare 500. */
  private async reach<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (this.redis.status !== 'ready') {
        throw new ApiError(503, 'The dead letters are out of reach right now (Redis does not answer); retry in a few seconds.', undefined, {
          'Retry-After': '5',
        });
      }
      throw error;
    }
  }
}
