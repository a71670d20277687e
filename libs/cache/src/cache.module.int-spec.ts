import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Registry } from 'prom-client';
import { CacheModule, CacheService } from './cache.module';
import { quietLogger, SHARED_REDIS_URL, testPrefix } from '../test/cache-test-support';

@Injectable()
class FormsReader {
  constructor(readonly cache: CacheService) {}

  read(id: string): Promise<{ id: string } | undefined> {
    return this.cache.getOrSet(`form:${id}`, () => ({ id }));
  }
}

@Module({ providers: [FormsReader], exports: [FormsReader] })
class FormsModule {}

describe('CacheModule', () => {
  it('forRoot provides CacheService to other modules and closes Redis on shutdown', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [CacheModule.forRoot({ keyPrefix: testPrefix('nest'), redisUrl: SHARED_REDIS_URL, logger: quietLogger }), FormsModule],
    }).compile();
    const app = await moduleRef.init();
    const reader = app.get(FormsReader);

    expect(await reader.read('1')).toEqual({ id: '1' });
    expect(reader.cache.stats().redis).toBe('ready');

    await app.close();
    expect(reader.cache.stats().redis).toBe('end');
  });

  it('forRootAsync builds the options from injected providers', async () => {
    const registry = new Registry();
    @Module({ providers: [{ provide: 'METRICS_REGISTRY', useValue: registry }], exports: ['METRICS_REGISTRY'] })
    class MetricsModule {}

    const moduleRef = await Test.createTestingModule({
      imports: [
        CacheModule.forRootAsync({
          imports: [MetricsModule],
          inject: ['METRICS_REGISTRY'],
          useFactory: (injected: Registry) => ({
            keyPrefix: testPrefix('nest-async'),
            redisUrl: SHARED_REDIS_URL,
            logger: quietLogger,
            registry: injected,
          }),
        }),
      ],
    }).compile();
    const app = await moduleRef.init();
    const cache = app.get(CacheService);

    await cache.getOrSet('k', () => 'v');
    await cache.getOrSet('k', () => 'v');

    expect(await registry.getSingleMetricAsString('cache_requests_total')).toContain('{layer="l1",result="hit"} 1');
    await app.close();
    expect(cache.stats().redis).toBe('end');
  });
});
