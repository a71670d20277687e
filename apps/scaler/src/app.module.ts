import { DynamicModule, Module } from '@nestjs/common';
import type { ScalerConfig } from '@formscale/config';
import { instanceId, ObservabilityModule } from '@formscale/observability';
import type { ScalingBackend } from './backends/backend';
import { createBackends } from './backends/create-backends';
import { SCALER_SERVICE_OPTIONS, ScalerService, type ScalerServiceOptions } from './loop/scaler.service';
import { StatusController } from './loop/status.controller';
import { loadScalerTargets, type BackendName } from './targets/scaler-targets';

export const SERVICE = 'scaler';

export interface AppModuleOverrides {
  /** Backends to use instead of those made from the environment (the local stack hands in its LocalBackend). */
  backends?: Map<BackendName, ScalingBackend>;
}

@Module({})
export class AppModule {
  static forRoot(config: ScalerConfig, overrides: AppModuleOverrides = {}): DynamicModule {
    const targets = loadScalerTargets(config.configFile, config.backend);
    const options: ScalerServiceOptions = {
      redisUrl: config.redisUrl,
      eventsPrefix: config.eventsPrefix,
      leaseTtlMs: config.leaseTtlMs,
      instance: instanceId(config.instanceId, SERVICE),
      targets,
      backends: overrides.backends ?? createBackends(targets),
    };
    return {
      module: AppModule,
      imports: [ObservabilityModule.forRoot(SERVICE, config)],
      controllers: [StatusController],
      providers: [{ provide: SCALER_SERVICE_OPTIONS, useValue: options }, ScalerService],
    };
  }
}
