import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Module } from '@nestjs/common';
import type { WorkerConfig } from '@formscale/config';
import { SUBMISSIONS_QUEUE, WEBHOOKS_QUEUE } from '@formscale/contracts';
import { ObservabilityModule } from '@formscale/observability';
import { queueErrorLogging } from '@formscale/queue';
import { CacheInvalidationPublisher } from './cache/cache-invalidation.publisher';
import { DatabaseService } from './database.service';
import { SubmissionProcessor } from './submissions/submission.processor';
import { WebhookProcessor } from './webhooks/webhook.processor';
import { WORKER_CONFIG } from './worker-config';
import { WorkerLifecycle } from './worker-lifecycle';

export const SERVICE = 'worker';

@Module({})
export class AppModule {
  static forRoot(config: WorkerConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ObservabilityModule.forRoot(SERVICE, config),
        BullModule.forRoot({ connection: { url: config.redisUrl }, prefix: config.queuePrefix }),
        BullModule.registerQueue({ name: SUBMISSIONS_QUEUE }, { name: WEBHOOKS_QUEUE }),
      ],
      providers: [
        { provide: WORKER_CONFIG, useValue: config },
        DatabaseService,
        CacheInvalidationPublisher,
        SubmissionProcessor,
        WebhookProcessor,
        WorkerLifecycle,
        queueErrorLogging(SUBMISSIONS_QUEUE, WEBHOOKS_QUEUE),
      ],
    };
  }
}
