import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FormsApiConfig } from '@formscale/config';
import { ApiError } from '../http/api-error';
import { FORMS_API_CONFIG } from '../http/tokens';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** X-Api-Key against ADMIN_API_KEYS: 401 without a key, 403 with a wrong one. Compared in constant time. */
@Injectable()
export class AdminKeyGuard implements CanActivate {
  private readonly keys: Buffer[];

  constructor(@Inject(FORMS_API_CONFIG) config: FormsApiConfig) {
    this.keys = config.adminApiKeys.map(digest);
  }

  canActivate(context: ExecutionContext): boolean {
    const key = context.switchToHttp().getRequest<FastifyRequest>().headers['x-api-key'];
    if (typeof key !== 'string' || key === '') {
      throw new ApiError(401, 'The admin API needs an X-Api-Key header with one of the keys in ADMIN_API_KEYS.');
    }
    const given = digest(key);
    if (!this.keys.some((known) => timingSafeEqual(known, given))) {
      throw new ApiError(403, 'The X-Api-Key is not one of the admin keys; check ADMIN_API_KEYS on the server.');
    }
    return true;
  }
}
