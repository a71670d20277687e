import { DynamicModule, Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { BullModule } from '@nestjs/bullmq';
import { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import { CacheModule } from '@formscale/cache';
import type { FormsApiConfig } from '@formscale/config';
import { SUBMISSIONS_QUEUE } from '@formscale/contracts';
import { METRICS_REGISTRY, ObservabilityModule } from '@formscale/observability';
import { queueErrorLogging } from '@formscale/queue';
import { AdminModule } from './admin/admin.module';
import { PublishedForms } from './forms/published-forms';
import { ApiExceptionFilter } from './http/api-error';
import { DatabaseModule } from './http/database.module';
import { PublicRoutes } from './http/public-routes';
import { failFastRedisOptions } from './http/redis-options';
import { API_REDIS, FORMS_API_CONFIG } from './http/tokens';
import { IdempotencyStore } from './submissions/idempotency';
import { RateLimiter } from './submissions/rate-limiter';
import { SubmissionsController } from './submissions/submissions.controller';
import { SubmissionsService } from './submissions/submissions.service';
import { formsApiMode } from './naive/naive-mode';
import { NaivePublishedForms } from './naive/naive-published-forms';
import { NaiveSubmissionsService } from './naive/naive-submissions.service';

export const SERVICE = 'forms-api';

@Global()
@Module({})
class CoreModule implements OnApplicationShutdown {
  constructor(@Inject(API_REDIS) private readonly redis: Redis) {}

  static forRoot(config: FormsApiConfig): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        { provide: FORMS_API_CONFIG, useValue: config },
        { provide: API_REDIS, useFactory: () => new Redis(failFastRedisOptions(config.redisUrl, config.queueAddTimeoutMs)) },
        { provide: PublishedForms, useClass: formsApiMode() === 'naive' ? NaivePublishedForms : PublishedForms },
      ],
      exports: [FORMS_API_CONFIG, API_REDIS, PublishedForms],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    this.redis.disconnect();
  }
}

@Module({})
export class AppModule {
  static forRoot(config: FormsApiConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ObservabilityModule.forRoot(SERVICE, config),
        CoreModule.forRoot(config),
        DatabaseModule,
        CacheModule.forRootAsync({
          inject: [METRICS_REGISTRY],
          useFactory: (registry: Registry) => ({
            keyPrefix: `${config.queuePrefix}:cache:`,
            redisUrl: config.redisUrl,
            registry,
          }),
        }),
        /*
         * The queue shares the app's fail-fast client: BullMQ leaves a shared
         * connection open on close, and CoreModule disconnects it. A connection
         * of BullMQ's own would be QUITted on shutdown, which fails while Redis
         * is down and leaves the client reconnecting forever.
         */
        BullModule.forRootAsync({
          inject: [API_REDIS],
          useFactory: (redis: Redis) => ({ prefix: config.queuePrefix, connection: redis }),
        }),
        BullModule.registerQueue({ name: SUBMISSIONS_QUEUE }),
        AdminModule,
      ],
      controllers: [SubmissionsController],
      providers: [
        { provide: SubmissionsService, useClass: formsApiMode() === 'naive' ? NaiveSubmissionsService : SubmissionsService },
        IdempotencyStore, RateLimiter, PublicRoutes, { provide: APP_FILTER, useClass: ApiExceptionFilter },
        queueErrorLogging(SUBMISSIONS_QUEUE)],
    };
  }
}
