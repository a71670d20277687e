import { Inject, Injectable, Logger } from '@nestjs/common';
import { z } from 'zod';
import type { FormsApiConfig } from '@formscale/config';
import { FORMS_API_CONFIG } from '../http/tokens';
import { formCacheTag } from '../forms/published-forms';

/** Attempts per purge: Cloudflare's API answers 429/5xx now and then; three tries ride over a blip without holding a publish long. */
export const PURGE_ATTEMPTS = 3;
/** First back-off; doubles per retry (250 ms, 500 ms) so the whole purge stays under a couple of seconds. */
export const PURGE_BACKOFF_MS = 250;
/** One attempt's time limit: a hung API must not hold the admin request. */
export const PURGE_TIMEOUT_MS = 5_000;

/** Cloudflare's v4 API envelope: {"success": bool, "errors": [{code, message}], "messages": [], "result": {"id"}}. */
const purgeAnswerSchema = z.object({
  success: z.boolean(),
  errors: z.array(z.object({ code: z.number().optional(), message: z.string().optional() })).default([]),
  result: z.object({ id: z.string() }).nullable().optional(),
});

export interface PurgeOutcome {
  purged: boolean;
  attempts: number;
  /** Why it did not purge (not configured, or the last error). */
  reason?: string;
}

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
    let reason = '';
    let attempt = 1;
    for (; attempt <= PURGE_ATTEMPTS; attempt += 1) {
      const result = await this.attempt(url, tags);
      if (result.ok) {
        this.logger.log({ msg: 'cdn purge done', tags, attempt, purgeId: result.id });
        return { purged: true, attempts: attempt };
      }
      reason = result.reason;
      if (!result.retry || attempt === PURGE_ATTEMPTS) break;
      await new Promise((resolve) => setTimeout(resolve, PURGE_BACKOFF_MS * 2 ** (attempt - 1)));
    }
    this.logger.error({ msg: 'cdn purge failed; entries expire by their s-maxage', tags, reason });
    return { purged: false, attempts: attempt, reason };
  }

  private async attempt(url: string, tags: string[]): Promise<{ ok: true; id?: string } | { ok: false; retry: boolean; reason: string }> {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.config.cdnPurgeApiToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ tags }),
        signal: AbortSignal.timeout(PURGE_TIMEOUT_MS),
      });
      const parsed = purgeAnswerSchema.safeParse(await response.json().catch(() => undefined));
      if (response.ok && parsed.success && parsed.data.success) return { ok: true, id: parsed.data.result?.id };
      const detail = parsed.success ? parsed.data.errors.map((error) => `${error.code ?? ''} ${error.message ?? ''}`.trim()).join('; ') : 'unreadable answer';
      // 429 and 5xx pass; any other 4xx (bad token, bad zone) will not get better by trying again.
      const retry = response.status === 429 || response.status >= 500;
      return { ok: false, retry, reason: `HTTP ${response.status}: ${detail}` };
    } catch (error) {
      return { ok: false, retry: true, reason: String(error) };
    }
  }
}
