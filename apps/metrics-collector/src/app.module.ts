import { DynamicModule, Module } from '@nestjs/common';
import type { CollectorConfig } from '@formscale/config';
import { ObservabilityModule } from '@formscale/observability';
import { join } from 'node:path';
import { AggregateMetrics } from './aggregate-metrics';
import { ApiController } from './api.controller';
import { COLLECTOR_STATE_OPTIONS, CollectorState } from './collector-state';
import { loadDashboardAssets } from './dashboard-assets';
import { DASHBOARD_ASSETS, DashboardController } from './dashboard.controller';
import { EVENT_SUBSCRIBER_OPTIONS, EventSubscriber } from './events/event-subscriber';
import { QUEUE_POLLER_OPTIONS, QueuePoller } from './queues/queue-poller';
import { SNAPSHOT_PUBLISHER_OPTIONS, SnapshotPublisher } from './snapshot-publisher';

export const SERVICE = 'metrics-collector';

export interface AppModuleOverrides {
  /** Where the dashboard's files are; default assets/dashboard beside main.js, where the build copies them. */
  dashboardDir?: string;
}

@Module({})
export class AppModule {
  static forRoot(config: CollectorConfig, overrides: AppModuleOverrides = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [ObservabilityModule.forRoot(SERVICE, config)],
      controllers: [ApiController, DashboardController],
      providers: [
        { provide: COLLECTOR_STATE_OPTIONS, useValue: { sampleIntervalMs: config.sampleIntervalMs, historyMinutes: config.historyMinutes } },
        { provide: QUEUE_POLLER_OPTIONS, useValue: { redisUrl: config.redisUrl, queuePrefix: config.queuePrefix, intervalMs: config.sampleIntervalMs } },
        { provide: EVENT_SUBSCRIBER_OPTIONS, useValue: { redisUrl: config.redisUrl, eventsPrefix: config.eventsPrefix } },
        { provide: SNAPSHOT_PUBLISHER_OPTIONS, useValue: { redisUrl: config.redisUrl, eventsPrefix: config.eventsPrefix, syncIntervalMs: config.syncIntervalMs } },
        // Beside this file in the sources; copied to assets/ beside main.js by the build. Fingerprinted once, at start.
        { provide: DASHBOARD_ASSETS, useValue: loadDashboardAssets(overrides.dashboardDir ?? join(__dirname, 'assets', 'dashboard')) },
        QueuePoller,
        CollectorState,
        EventSubscriber,
        SnapshotPublisher,
        AggregateMetrics,
      ],
    };
  }
}
