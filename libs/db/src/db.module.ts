import {
  Inject,
  Injectable,
  Module,
  Optional,
  type DynamicModule,
  type FactoryProvider,
  type InjectionToken,
  type ModuleMetadata,
  type OnApplicationShutdown,
  type OptionalFactoryDependency,
  type Provider,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { PoolSettings } from './pool-settings';
import { ReplicaRouter, type ReplicaRouterOptions } from './replica-router';
import { createDataSource } from './typeorm-data-source';

export const DB_MODULE_OPTIONS = Symbol('DB_MODULE_OPTIONS');

export type DbModuleOptions = ReplicaRouterOptions;

export interface DbModuleExtras {
  /**
   * Also provide a TypeORM DataSource on the primary (every entity and
   * migration), for repositories and the query builder. It has a pool of its
   * own; leave it off in apps that only use the router.
   */
  readonly dataSource?: boolean | { readonly pool?: Partial<PoolSettings> };
}

export interface DbModuleAsyncOptions extends DbModuleExtras, Pick<ModuleMetadata, 'imports'> {
  readonly inject?: Array<InjectionToken | OptionalFactoryDependency>;
  readonly useFactory: (...args: never[]) => DbModuleOptions | Promise<DbModuleOptions>;
}

/**
 * Closes the pools at application shutdown. Not in onModuleDestroy: Nest
 * closes the HTTP server after the destroy hooks and before the shutdown
 * hooks, so requests still in flight keep their database until the server has
 * stopped taking them.
 */
@Injectable()
class DbShutdown implements OnApplicationShutdown {
  constructor(
    private readonly router: ReplicaRouter,
    @Optional() @Inject(DataSource) private readonly dataSource?: DataSource,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.router.stop();
    if (this.dataSource?.isInitialized) await this.dataSource.destroy();
  }
}

/**
 * The replica router (and optionally a TypeORM DataSource) for a Nest app.
 * Global: import it once in the root module, inject ReplicaRouter anywhere.
 *
 *   DbModule.forRootAsync({ inject: [APP_CONFIG], useFactory: (c: Config) =>
 *     ({ primaryUrl: c.databaseUrl, replicaUrls: c.replicaUrls, registry }) })
 */
@Module({})
export class DbModule {
  static forRoot(options: DbModuleOptions & DbModuleExtras): DynamicModule {
    return DbModule.build({ provide: DB_MODULE_OPTIONS, useValue: options }, options, []);
  }

  static forRootAsync(options: DbModuleAsyncOptions): DynamicModule {
    const optionsProvider: FactoryProvider = {
      provide: DB_MODULE_OPTIONS,
      useFactory: options.useFactory,
      inject: options.inject ?? [],
    };
    return DbModule.build(optionsProvider, options, options.imports ?? []);
  }

  private static build(optionsProvider: Provider, extras: DbModuleExtras, imports: ModuleMetadata['imports']): DynamicModule {
    const routerProvider: FactoryProvider = {
      provide: ReplicaRouter,
      // start() pings the primary: a wrong DATABASE_URL stops the app at boot, not at the first request.
      useFactory: async (options: DbModuleOptions) => {
        const router = new ReplicaRouter(options);
        await router.start();
        return router;
      },
      inject: [DB_MODULE_OPTIONS],
    };
    const providers: Provider[] = [optionsProvider, routerProvider, DbShutdown];
    const exported: InjectionToken[] = [ReplicaRouter];
    if (extras.dataSource) {
      const pool = typeof extras.dataSource === 'object' ? extras.dataSource.pool : undefined;
      providers.push({
        provide: DataSource,
        useFactory: (options: DbModuleOptions) =>
          createDataSource({ url: options.primaryUrl, applicationName: `${options.applicationName ?? 'formscale'}:typeorm`, pool }).initialize(),
        inject: [DB_MODULE_OPTIONS],
      });
      exported.push(DataSource);
    }
    return { module: DbModule, global: true, imports, providers, exports: exported };
  }
}
