import { DynamicModule, Module } from '@nestjs/common';
import type { CommonConfig } from '@formscale/config';
import { HealthModule } from './health.module';
import { instanceId } from './instance-id';
import { LoggingModule } from './logging.module';
import { MetricsModule } from './metrics.module';
import { SAMPLE_PUBLISHER_OPTIONS, SamplePublisher, SamplePublisherOptions } from './sample-publisher';

/**
 * What every formscale process has: JSON logs, /metrics, /health/live and
 * /health/ready, and a metrics.sample to the collector every SAMPLE_INTERVAL_MS.
 */
@Module({})
export class ObservabilityModule {
  static forRoot(service: string, config: CommonConfig): DynamicModule {
    const instance = instanceId(config.instanceId, service);
    const sampling: SamplePublisherOptions = {
      service,
      instance,
      redisUrl: config.redisUrl,
      eventsPrefix: config.eventsPrefix,
      intervalMs: config.sampleIntervalMs,
    };
    return {
      module: ObservabilityModule,
      imports: [
        LoggingModule.forRoot({ service, instance, level: config.logLevel }),
        MetricsModule.forRoot({ service, instance }),
        HealthModule.forRoot({
          redisUrl: config.redisUrl,
          databaseUrl: config.databaseUrl,
          timeoutMs: config.healthCheckTimeoutMs,
          shutdownGraceMs: config.shutdownGraceMs,
        }),
      ],
      providers: [{ provide: SAMPLE_PUBLISHER_OPTIONS, useValue: sampling }, SamplePublisher],
    };
  }
}
