import {
  type DynamicModule,
  Inject,
  Injectable,
  type InjectionToken,
  Module,
  type ModuleMetadata,
  type OnModuleDestroy,
  type OnModuleInit,
  type OptionalFactoryDependency,
} from '@nestjs/common';
import type { MultiLayerCacheOptions } from './cache-options';
import { MultiLayerCache } from './multi-layer-cache';

export const CACHE_MODULE_OPTIONS = Symbol('CACHE_MODULE_OPTIONS');

/** The cache as a Nest provider: waits for Redis at start-up, closes its connections on shutdown. */
@Injectable()
export class CacheService extends MultiLayerCache implements OnModuleInit, OnModuleDestroy {
  constructor(@Inject(CACHE_MODULE_OPTIONS) options: MultiLayerCacheOptions) {
    super(options);
  }

  async onModuleInit(): Promise<void> {
    if (!(await this.ready())) {
      this.logger.warn({}, 'cache started without Redis: serving from L1 and loaders until it answers');
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.close();
  }
}

export interface CacheModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  inject?: Array<InjectionToken | OptionalFactoryDependency>;
  useFactory: (...args: never[]) => MultiLayerCacheOptions | Promise<MultiLayerCacheOptions>;
}

/** Global, so every module can inject CacheService once the app imports CacheModule.forRoot(). */
@Module({})
export class CacheModule {
  static forRoot(options: MultiLayerCacheOptions = {}): DynamicModule {
    return {
      module: CacheModule,
      global: true,
      providers: [{ provide: CACHE_MODULE_OPTIONS, useValue: options }, CacheService],
      exports: [CacheService],
    };
  }

  static forRootAsync(options: CacheModuleAsyncOptions): DynamicModule {
    return {
      module: CacheModule,
      global: true,
      imports: options.imports ?? [],
      providers: [
        {
          provide: CACHE_MODULE_OPTIONS,
          useFactory: options.useFactory,
          inject: options.inject ?? [],
        },
        CacheService,
      ],
      exports: [CacheService],
    };
  }
}
