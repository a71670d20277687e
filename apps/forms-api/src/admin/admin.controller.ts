import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Res, UseGuards } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { CONSISTENCY_TOKEN_HEADER } from '@formscale/db';
import { fieldListSchema, type FieldDefinition } from '../forms/form-fields';
import { unsafePatterns } from '../forms/pattern-safety';
import { ApiError } from '../http/api-error';
import { parseId, parseInput } from '../http/ids';
import { AdminKeyGuard } from './admin-key.guard';
import { AdminService, decodeCursor } from './admin.service';

const createFormSchema = z.strictObject({
  slug: z.string().regex(/^[a-z0-9][a-z0-9-]{0,99}$/, 'a slug is lower-case letters, digits and -, up to 100'),
  title: z.string().min(1).max(300),
  fields: fieldListSchema,
});
const updateDraftSchema = z.strictObject({ title: z.string().min(1).max(300).optional(), fields: fieldListSchema });
const pageSchema = z.strictObject({
  // 100 per page by default; 1000 at most keeps one answer small.
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
  cursor: z.string().max(200).optional(),
});
const webhookSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/ }),
  secret: z.string().min(16).max(200).optional(),
});

/** 400 naming each field whose pattern could backtrack catastrophically, in the shape of parseInput's errors. */
async function refuseUnsafePatterns<T extends { fields: FieldDefinition[] }>(input: T, what: string): Promise<T> {
  const problems = await unsafePatterns(input.fields);
  if (problems.length > 0) throw new ApiError(400, `The ${what} is not valid; fix the fields listed in details.`, problems);
  return input;
}

function withToken<T>(reply: FastifyReply, committed: { value: T; consistencyToken: string }): T {
  void reply.header(CONSISTENCY_TOKEN_HEADER, committed.consistencyToken);
  return committed.value;
}

@ApiTags('admin')
@ApiSecurity('admin')
@UseGuards(AdminKeyGuard)
@Controller('api/admin')
export class AdminController {
  constructor(private readonly admin: AdminService) {}

  @Post('forms')
  @ApiOperation({ summary: 'Create a form with its first draft version' })
  async create(@Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const input = await refuseUnsafePatterns(parseInput(createFormSchema, body, 'form'), 'form');
    return withToken(reply, await this.admin.create(input));
  }

  @Get('forms')
  @ApiOperation({ summary: 'List forms, newest first (cursor pagination)' })
  @ApiHeader({ name: CONSISTENCY_TOKEN_HEADER, required: false, description: 'read-your-writes token from an earlier write' })
  async list(@Query() query: unknown) {
    const page = parseInput(pageSchema, query, 'query');
    return this.admin.list(page.limit, decodeCursor(page.cursor));
  }

  @Put('forms/:id/draft')
  @ApiOperation({ summary: 'Replace the draft version (a new version once the latest is published)' })
  async updateDraft(@Param('id') id: string, @Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const formId = parseId(id, 'form id');
    const input = await refuseUnsafePatterns(parseInput(updateDraftSchema, body, 'draft'), 'draft');
    return withToken(reply, await this.admin.updateDraft(formId, input));
  }

  @Post('forms/:id/publish')
  @HttpCode(200)
  @ApiOperation({ summary: 'Publish the draft: it becomes the version submissions are validated against, frozen' })
  async publish(@Param('id') id: string, @Res({ passthrough: true }) reply: FastifyReply) {
    return withToken(reply, await this.admin.publish(parseId(id, 'form id')));
  }

  @Post('forms/:id/archive')
  @HttpCode(200)
  @ApiOperation({ summary: 'Archive a form: no more submissions' })
  async archive(@Param('id') id: string, @Res({ passthrough: true }) reply: FastifyReply) {
    return withToken(reply, await this.admin.archive(parseId(id, 'form id')));
  }

  @Get('forms/:id/submissions')
  @ApiOperation({ summary: "A form's submissions, newest first (keyset pagination, from a replica)" })
  @ApiHeader({ name: CONSISTENCY_TOKEN_HEADER, required: false, description: 'read-your-writes token from an earlier write' })
  async submissions(@Param('id') id: string, @Query() query: unknown) {
    const page = parseInput(pageSchema, query, 'query');
    return this.admin.submissions(parseId(id, 'form id'), page.limit, decodeCursor(page.cursor));
  }

  @Get('forms/:id/stats')
  @ApiOperation({ summary: 'Submission count and last submission time' })
  @ApiHeader({ name: CONSISTENCY_TOKEN_HEADER, required: false, description: 'read-your-writes token from an earlier write' })
  async stats(@Param('id') id: string) {
    return this.admin.stats(parseId(id, 'form id'));
  }

  @Get('forms/:id/submissions.csv')
  @ApiOperation({ summary: "Every submission of a form as CSV, streamed" })
  async exportCsv(@Param('id') id: string, @Res() reply: FastifyReply): Promise<void> {
    const formId = parseId(id, 'form id');
    const stream = await this.admin.exportCsv(formId);
    void reply
      .header('Content-Type', 'text/csv; charset=utf-8')
      .header('Content-Disposition', `attachment; filename="form-${formId}-submissions.csv"`)
      .send(stream);
  }

  @Post('forms/:id/webhooks')
  @ApiOperation({ summary: 'Add a webhook endpoint told about every stored submission' })
  async createWebhook(@Param('id') id: string, @Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const input = parseInput(webhookSchema, body, 'webhook');
    const secret = input.secret ?? randomBytes(24).toString('base64url');
    const created = withToken(reply, await this.admin.createWebhook(parseId(id, 'form id'), { url: input.url, secret }));
    // The secret is shown once, at creation, so the receiver can verify signatures.
    return { ...created, secret };
  }

  @Get('forms/:id/webhooks')
  @ApiOperation({ summary: "A form's webhook endpoints" })
  @ApiHeader({ name: CONSISTENCY_TOKEN_HEADER, required: false, description: 'read-your-writes token from an earlier write' })
  async listWebhooks(@Param('id') id: string) {
    return this.admin.listWebhooks(parseId(id, 'form id'));
  }

  @Delete('forms/:id/webhooks/:webhookId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a webhook endpoint' })
  async deleteWebhook(@Param('id') id: string, @Param('webhookId') webhookId: string, @Res({ passthrough: true }) reply: FastifyReply) {
    const token = await this.admin.deleteWebhook(parseId(id, 'form id'), parseId(webhookId, 'webhook id'));
    void reply.header(CONSISTENCY_TOKEN_HEADER, token);
  }
}
