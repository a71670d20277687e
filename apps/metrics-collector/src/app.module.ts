import { DynamicModule, Module } from '@nestjs/common';
import type { CollectorConfig } from '@formscale/config';
import { ObservabilityModule } from '@formscale/observability';

export const SERVICE = 'metrics-collector';

@Module({})
export class AppModule {
  static forRoot(config: CollectorConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [ObservabilityModule.forRoot(SERVICE, config)],
    };
  }
}
