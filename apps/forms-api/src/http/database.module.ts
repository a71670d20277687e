import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import type { Registry } from 'prom-client';
import type { FormsApiConfig } from '@formscale/config';
import { ReplicaRouter } from '@formscale/db';
import { METRICS_REGISTRY } from '@formscale/observability';
import { FORMS_API_CONFIG } from './tokens';

/** The replica router: writes to the primary, reads to a replica that has the caller's writes. */
@Global()
@Module({
  providers: [
    {
      provide: ReplicaRouter,
      inject: [FORMS_API_CONFIG, METRICS_REGISTRY],
      useFactory: async (config: FormsApiConfig, registry: Registry) => {
        const router = new ReplicaRouter({
          primaryUrl: config.databaseUrl,
          replicaUrls: config.replicaUrls,
          applicationName: 'formscale:forms-api',
          registry,
        });
        await router.start();
        return router;
      },
    },
  ],
  exports: [ReplicaRouter],
})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(@Inject(ReplicaRouter) private readonly router: ReplicaRouter) {}

  async onApplicationShutdown(): Promise<void> {
    await this.router.stop();
  }
}
