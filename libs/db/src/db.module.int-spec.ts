import { Inject, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { runWithConsistency } from './consistency-context';
import { DbModule } from './db.module';
import { Form } from './form.entity';
import { ReplicaRouter, type DbLogger } from './replica-router';
import { createTestDatabase, type TestDatabase } from './testing';

jest.setTimeout(60_000);

const silent: DbLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };
const CONFIG = Symbol('CONFIG');

@Injectable()
class FormsReader {
  constructor(@Inject(ReplicaRouter) readonly router: ReplicaRouter) {}

  async count(): Promise<number> {
    const { rows } = await this.router.read<{ n: number }>('SELECT count(*)::int AS n FROM forms');
    return rows[0].n;
  }
}

describe('DbModule', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase({ label: 'db-module' });
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('provides a started router and a DataSource from async config, and closes both at shutdown', async () => {
    @Module({ providers: [{ provide: CONFIG, useValue: { url: db.url, replicas: db.replicaUrls } }], exports: [CONFIG] })
    class ConfigModule {}

    @Module({
      imports: [
        DbModule.forRootAsync({
          imports: [ConfigModule],
          inject: [CONFIG],
          useFactory: (config: { url: string; replicas: string[] }) => ({
            primaryUrl: config.url,
            replicaUrls: config.replicas,
            registry: new Registry(),
            logger: silent,
          }),
          dataSource: true,
        }),
      ],
      providers: [FormsReader],
    })
    class AppModule {}

    const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
    const router = app.get(ReplicaRouter);
    const dataSource = app.get(DataSource);

    await dataSource.getRepository(Form).insert({ slug: 'nest', title: 'From TypeORM' });
    const saved = await dataSource.getRepository(Form).findOneByOrFail({ slug: 'nest' });
    expect(saved.status).toBe('draft');
    expect(saved.id).toMatch(/^[0-9a-f-]{36}$/);

    // A write through TypeORM, then reads through the router that must see it.
    const token = await router.captureToken();
    const [sql, params] = dataSource
      .getRepository(Form)
      .createQueryBuilder('f')
      .select('f.title', 'title')
      .where('f.slug = :slug', { slug: 'nest' })
      .getQueryAndParameters();
    await runWithConsistency(token, async () => {
      const routed = await router.read<{ title: string }>(sql, params);
      expect(routed.rows).toEqual([{ title: 'From TypeORM' }]);
      await expect(app.get(FormsReader).count()).resolves.toBe(1);
    });

    await app.close();
    expect(router.stats().every((n) => n.pool.total === 0)).toBe(true);
    expect(dataSource.isInitialized).toBe(false);
  });

  it('fails the boot with a clear error when the primary does not answer', async () => {
    @Module({
      imports: [
        DbModule.forRoot({
          primaryUrl: 'postgres://postgres@127.0.0.1:1/formscale',
          replicaUrls: [],
          registry: new Registry(),
          logger: silent,
        }),
      ],
    })
    class BrokenModule {}

    await expect(NestFactory.createApplicationContext(BrokenModule, { logger: false, abortOnError: false })).rejects.toThrow(
      /primary at postgres:\/\/postgres@127\.0\.0\.1:1\/formscale did not answer/,
    );
  });
});
