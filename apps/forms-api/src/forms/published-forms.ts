import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { CacheService } from '@formscale/cache';
import type { FormsApiConfig } from '@formscale/config';
import { ReplicaRouter } from '@formscale/db';
import { ApiError } from '../http/api-error';
import { FORMS_API_CONFIG } from '../http/tokens';
import { fieldListSchema, type FieldDefinition } from './form-fields';

/** What the public read of a form holds, ready to send: the JSON text and its ETag. */
export interface PublishedForm {
  id: string;
  status: 'draft' | 'published' | 'archived';
  version: number | null;
  fields: FieldDefinition[];
  /** The response body of GET /api/forms/:id, serialized once per cache fill. */
  json: string;
  etag: string;
}

interface FormRow {
  id: string;
  slug: string;
  title: string;
  status: PublishedForm['status'];
  published_version: number | null;
  fields: unknown;
  published_at: Date | null;
}

export const formCacheKey = (formId: string) => `form:${formId}`;
export const formCacheTag = (formId: string) => `form-${formId}`;

@Injectable()
export class PublishedForms {
  constructor(
    private readonly cache: CacheService,
    private readonly router: ReplicaRouter,
    @Inject(FORMS_API_CONFIG) private readonly config: FormsApiConfig,
  ) {}

  /** The form with its published version, through the cache then a replica; undefined if there is no such form. */
  async find(formId: string): Promise<PublishedForm | undefined> {
    return this.cache.getOrSet<PublishedForm>(formCacheKey(formId), () => this.load(formId), this.cacheOptions(formId));
  }

  /** The form if it takes submissions: 404 if unknown, 409 if not published or archived. */
  async requireOpen(formId: string): Promise<PublishedForm & { version: number }> {
    const form = await this.find(formId);
    if (form === undefined) {
      throw new ApiError(404, `There is no form ${formId}; check the id in the URL.`);
    }
    if (form.status === 'archived') {
      throw new ApiError(409, `Form ${formId} is archived and no longer takes submissions.`);
    }
    if (form.version === null) {
      throw new ApiError(409, `Form ${formId} has not been published yet; publish a version first.`);
    }
    return form as PublishedForm & { version: number };
  }

  /**
   * After a publish or archive, called in the writer's consistency context: drops the form
   * from every instance's cache and stores it as a node that has replayed the write holds
   * it. Dropping it alone would let the first public read reach a replica that has not
   * replayed the change yet and cache the old version, or "no such form", for a whole TTL.
   */
  async refresh(formId: string): Promise<void> {
    const form = await this.load(formId);
    // A set replaces the entry in L2 and evicts it from every instance's L1, like the delete would.
    if (form === undefined) await this.cache.deleteByTag(formCacheTag(formId));
    else await this.cache.set(formCacheKey(formId), form, this.cacheOptions(formId));
  }

  private cacheOptions(formId: string): { ttlMs: number; tags: string[] } {
    return { ttlMs: this.config.formCacheTtlSeconds * 1000, tags: [formCacheTag(formId)] };
  }

  protected async load(formId: string): Promise<PublishedForm | undefined> {
    const { rows } = await this.router.read<FormRow>(
      `SELECT f.id, f.slug, f.title, f.status, f.published_version, v.fields, v.published_at
         FROM forms f
         LEFT JOIN form_versions v ON v.form_id = f.id AND v.version = f.published_version
        WHERE f.id = $1`,
      [formId],
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    const fields = row.fields === null ? [] : fieldListSchema.parse(row.fields);
    const body = {
      id: row.id,
      slug: row.slug,
      title: row.title,
      version: row.published_version,
      publishedAt: row.published_at,
      fields,
    };
    const json = JSON.stringify(body);
    const etag = `"${createHash('sha256').update(json).digest('base64url').slice(0, 27)}"`;
    return { id: row.id, status: row.status, version: row.published_version, fields, json, etag };
  }
}
