import { DynamicModule, Module } from '@nestjs/common';
import type { ScalerConfig } from '@formscale/config';
import { ObservabilityModule } from '@formscale/observability';

export const SERVICE = 'scaler';

@Module({})
export class AppModule {
  static forRoot(config: ScalerConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [ObservabilityModule.forRoot(SERVICE, config)],
    };
  }
}
