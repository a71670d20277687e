import { DynamicModule, Module } from '@nestjs/common';
import type { FormsApiConfig } from '@formscale/config';
import { ObservabilityModule } from '@formscale/observability';

export const SERVICE = 'forms-api';

@Module({})
export class AppModule {
  static forRoot(config: FormsApiConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [ObservabilityModule.forRoot(SERVICE, config)],
    };
  }
}
