import { DynamicModule, Module } from '@nestjs/common';
import type { WorkerConfig } from '@formscale/config';
import { ObservabilityModule } from '@formscale/observability';

export const SERVICE = 'worker';

@Module({})
export class AppModule {
  static forRoot(config: WorkerConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [ObservabilityModule.forRoot(SERVICE, config)],
    };
  }
}
