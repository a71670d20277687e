import { Inject, Injectable, Logger } from '@nestjs/common';
import type { FormsApiConfig } from '@formscale/config';
import { FORMS_API_CONFIG } from '../http/tokens';
import { PURGE_TIMEOUT_MS, purgeWithRetries, retryableStatus, type PurgeAttempt, type PurgeOutcome } from './purge-retry';

/**
 * The API's answers the refresh stores in nginx's cache: the form (200), or
 * that it is gone (404) or archived (409). Anything else means the refresh did
 * not reach the API or nginx refused it.
 */
const STORED_ANSWERS = new Set([200, 404, 409, 410]);

/**
 * Refreshes a form in the nginx edge cache (infra/nginx) after a publish or an
 * archive: GET {nginx internal port}/cache/refresh/api/forms/<id>, which nginx
 * answers by asking the API past its cached copy (proxy_cache_bypass) and
 * storing the new answer in its place. Open-source nginx has no purge; this is
 * the same effect. One request per nginx in NGINX_PURGE_URLS, each with the
 * Cloudflare purge's retry policy; a no-op when the list is empty. It never
 * throws: the publish has been committed, and the entry expires by its s-maxage.
 */
@Injectable()
export class NginxPurgeClient {
  private readonly logger = new Logger(NginxPurgeClient.name);

  constructor(@Inject(FORMS_API_CONFIG) private readonly config: Pick<FormsApiConfig, 'nginxPurgeUrls'>) {}

  get configured(): boolean {
    return this.config.nginxPurgeUrls.length > 0;
  }

  /** One outcome per nginx, in the order of NGINX_PURGE_URLS. */
  async purgeForm(formId: string): Promise<PurgeOutcome[]> {
    const path = `/cache/refresh/api/forms/${encodeURIComponent(formId)}`;
    return Promise.all(
      this.config.nginxPurgeUrls.map(async (base) => {
        const url = `${base.replace(/\/+$/, '')}${path}`;
        const outcome = await purgeWithRetries(() => this.attempt(url));
        if (outcome.purged) this.logger.log({ msg: 'nginx cache refreshed', formId, nginx: base, attempt: outcome.attempts });
        else this.logger.error({ msg: 'nginx cache refresh failed; the entry expires by its s-maxage', formId, nginx: base, reason: outcome.reason });
        return outcome;
      }),
    );
  }

  private async attempt(url: string): Promise<PurgeAttempt> {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(PURGE_TIMEOUT_MS) });
      await response.arrayBuffer();
      if (STORED_ANSWERS.has(response.status)) return { ok: true };
      const hint = response.status === 403 ? ' (nginx allows the refresh only from loopback and its statusAllow networks)' : '';
      return { ok: false, retry: retryableStatus(response.status), reason: `HTTP ${response.status} from ${url}${hint}` };
    } catch (error) {
      return { ok: false, retry: true, reason: `${url}: ${String(error)}` };
    }
  }
}
