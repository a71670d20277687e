import { ApiError } from '../http/api-error';
import { apiRoute, type ApiRoute } from '../http/api-routes';
import { parseId } from '../http/ids';
import { formCacheTag, type PublishedForms } from './published-forms';

/** What a CDN in front may do with a form read; the seed's CDN settings, kept. */
const PUBLIC_CACHE_CONTROL = 'public, s-maxage=60, stale-while-revalidate=300';

function matches(ifNoneMatch: string, etag: string): boolean {
  return ifNoneMatch.split(',').some((tag) => tag.trim() === etag || tag.trim() === '*');
}

/** GET /api/forms/:id — the published version, from the cache: ETag, CDN headers, 304 on If-None-Match. */
export function formReadRoute(forms: PublishedForms): ApiRoute {
  return apiRoute<{ Params: { id: string }; Headers: { 'if-none-match'?: string } }>(
    {
      method: 'GET',
      url: '/api/forms/:id',
      handler: async (request, reply) => {
        const id = parseId(request.params.id, 'form id');
        const form = await forms.find(id);
        if (form === undefined) throw new ApiError(404, `There is no form ${id}; check the id in the URL.`);
        if (form.status === 'archived' || form.version === null) {
          throw new ApiError(409, `Form ${id} is ${form.status === 'archived' ? 'archived' : 'not published yet'}; it cannot be shown.`);
        }
        void reply.header('ETag', form.etag).header('Cache-Control', PUBLIC_CACHE_CONTROL).header('Cache-Tag', formCacheTag(id));
        const ifNoneMatch = request.headers['if-none-match'];
        if (ifNoneMatch !== undefined && matches(ifNoneMatch, form.etag)) return reply.status(304).send();
        return reply.header('Content-Type', 'application/json; charset=utf-8').send(form.json);
      },
    },
    {
      tags: ['forms'],
      summary: 'The published version of a form (cacheable; ETag / If-None-Match)',
      parameters: [
        { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
        { name: 'If-None-Match', in: 'header', required: false, schema: { type: 'string' }, description: 'an ETag from an earlier answer' },
      ],
      responses: {
        '200': { description: 'the published form: id, slug, title, version, publishedAt, fields' },
        '304': { description: 'the ETag matches: the client copy is current' },
        '400': { description: 'the id is not a UUID' },
        '404': { description: 'no such form' },
        '409': { description: 'the form is not published yet, or archived' },
      },
    },
  );
}
