import { Inject, Injectable, Logger } from '@nestjs/common';
import { z } from 'zod';
import type { FormsApiConfig } from '@formscale/config';
import { FORMS_API_CONFIG } from '../http/tokens';
import { formCacheTag } from '../forms/published-forms';
import { PURGE_TIMEOUT_MS, purgeWithRetries, retryableStatus, type PurgeAttempt, type PurgeOutcome } from './purge-retry';

export type { PurgeOutcome } from './purge-retry';

/** Cloudflare's v4 API envelope: {"success": bool, "errors": [{code, message}], "messages": [], "result": {"id"}}. */
const purgeAnswerSchema = z.object({
  success: z.boolean(),
  errors: z.array(z.object({ code: z.number().optional(), message: z.string().optional() })).default([]),
  result: z.object({ id: z.string() }).nullable().optional(),
});

/**
 * Purges a form's entries from the CDN by its cache tag (Cache-Tag: form-<id>,
 * sent on every form read) through Cloudflare's purge API:
 * POST {api}/zones/{zone_id}/purge_cache with {"tags": [...]} and a Bearer token.
 * A no-op without a zone and token. It never throws: the publish has been
 * committed, and the entry expires by its s-maxage anyway.
 */
@Injectable()
export class EdgePurgeClient {
  private readonly logger = new Logger(EdgePurgeClient.name);

  constructor(@Inject(FORMS_API_CONFIG) private readonly config: Pick<FormsApiConfig, 'cdnPurgeZoneId' | 'cdnPurgeApiToken' | 'cdnPurgeApiUrl'>) {}

  get configured(): boolean {
    return this.config.cdnPurgeZoneId !== '' && this.config.cdnPurgeApiToken !== '';
  }

  purgeForm(formId: string): Promise<PurgeOutcome> {
    return this.purgeTags([formCacheTag(formId)]);
  }

  async purgeTags(tags: string[]): Promise<PurgeOutcome> {
    if (!this.configured) return { purged: false, attempts: 0, reason: 'CDN_PURGE_ZONE_ID / CDN_PURGE_API_TOKEN not set' };
    const url = `${this.config.cdnPurgeApiUrl.replace(/\/+$/, '')}/zones/${encodeURIComponent(this.config.cdnPurgeZoneId)}/purge_cache`;
    const outcome = await purgeWithRetries(() => this.attempt(url, tags));
    if (outcome.purged) this.logger.log({ msg: 'cdn purge done', tags, attempt: outcome.attempts });
    else this.logger.error({ msg: 'cdn purge failed; entries expire by their s-maxage', tags, reason: outcome.reason });
    return outcome;
  }

  private async attempt(url: string, tags: string[]): Promise<PurgeAttempt> {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.config.cdnPurgeApiToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ tags }),
        signal: AbortSignal.timeout(PURGE_TIMEOUT_MS),
      });
      const parsed = purgeAnswerSchema.safeParse(await response.json().catch(() => undefined));
      if (response.ok && parsed.success && parsed.data.success) return { ok: true };
      const detail = parsed.success ? parsed.data.errors.map((error) => `${error.code ?? ''} ${error.message ?? ''}`.trim()).join('; ') : 'unreadable answer';
      return { ok: false, retry: retryableStatus(response.status), reason: `HTTP ${response.status}: ${detail}` };
    } catch (error) {
      return { ok: false, retry: true, reason: String(error) };
    }
  }
}
