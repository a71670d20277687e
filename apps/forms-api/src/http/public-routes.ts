import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import type { FormsApiConfig } from '@formscale/config';
import { formReadRoute } from '../forms/form-read.route';
import { PublishedForms } from '../forms/published-forms';
import { RateLimiter } from '../submissions/rate-limiter';
import { submitRoute } from '../submissions/submit.route';
import { SubmissionsService } from '../submissions/submissions.service';
import type { ApiRoute } from './api-routes';
import { FORMS_API_CONFIG } from './tokens';

/**
 * The public hot paths, the form read and the submit, served by Fastify
 * itself on the app's instance (same process, same port as Nest's routes).
 */
@Injectable()
export class PublicRoutes implements OnModuleInit {
  readonly routes: readonly ApiRoute[];

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    forms: PublishedForms,
    submissions: SubmissionsService,
    rateLimiter: RateLimiter,
    @Inject(FORMS_API_CONFIG) config: FormsApiConfig,
  ) {
    this.routes = [formReadRoute(forms), submitRoute(submissions, rateLimiter, config.submissionBodyLimitBytes)];
  }

  // Runs in app.init(), before the server listens, when Fastify still takes routes.
  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    for (const route of this.routes) route.register(fastify);
  }
}
