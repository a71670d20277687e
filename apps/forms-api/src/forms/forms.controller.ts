import { Controller, Get, Headers, Param, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiError } from '../http/api-error';
import { parseId } from '../http/ids';
import { formCacheTag, PublishedForms } from './published-forms';

/** What a CDN in front may do with a form read; the seed's CDN settings, kept. */
const PUBLIC_CACHE_CONTROL = 'public, s-maxage=60, stale-while-revalidate=300';

@ApiTags('forms')
@Controller('api/forms')
export class FormsController {
  constructor(private readonly forms: PublishedForms) {}

  @Get(':id')
  @ApiOperation({ summary: 'The published version of a form (cacheable; ETag / If-None-Match)' })
  async published(
    @Param('id') rawId: string,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const id = parseId(rawId, 'form id');
    const form = await this.forms.find(id);
    if (form === undefined) throw new ApiError(404, `There is no form ${id}; check the id in the URL.`);
    if (form.status === 'archived' || form.version === null) {
      throw new ApiError(409, `Form ${id} is ${form.status === 'archived' ? 'archived' : 'not published yet'}; it cannot be shown.`);
    }
    void reply
      .header('ETag', form.etag)
      .header('Cache-Control', PUBLIC_CACHE_CONTROL)
      .header('Cache-Tag', formCacheTag(id));
    if (ifNoneMatch !== undefined && ifNoneMatch.split(',').some((tag) => tag.trim() === form.etag || tag.trim() === '*')) {
      void reply.status(304).send();
      return;
    }
    void reply.header('Content-Type', 'application/json; charset=utf-8').send(form.json);
  }
}
