import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { SUBMISSIONS_QUEUE, WEBHOOKS_QUEUE } from '@formscale/contracts';
import { queueErrorLogging } from '@formscale/queue';
import { AdminController } from './admin.controller';
import { AdminKeyGuard } from './admin-key.guard';
import { AdminService } from './admin.service';
import { DeadLettersController } from './dead-letters.controller';
import { EdgePurgeClient } from '../edge/purge-client';
import { NginxPurgeClient } from '../edge/nginx-purge-client';

@Module({
  // Both queues, for their dead letters; they share the app's BullMQ root config (prefix, fail-fast connection).
  imports: [BullModule.registerQueue({ name: SUBMISSIONS_QUEUE }, { name: WEBHOOKS_QUEUE })],
  controllers: [AdminController, DeadLettersController],
  providers: [AdminService, AdminKeyGuard, EdgePurgeClient, NginxPurgeClient, queueErrorLogging(SUBMISSIONS_QUEUE, WEBHOOKS_QUEUE)],
})
export class AdminModule {}
