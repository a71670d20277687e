import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { ReplicaRouter } from '@formscale/db';
import { METRICS_REGISTRY } from '@formscale/observability';
import type { QueryConfig, QueryResult, QueryResultRow } from 'pg';
import type { Registry } from 'prom-client';
import { WORKER_CONFIG, type WorkerConfig } from './worker-config';

/**
 * The worker only writes, so it routes to the primary alone: no replica pools,
 * no replica health checks. Stopped by WorkerLifecycle after the workers, so a
 * batch in flight can still commit.
 */
@Injectable()
export class DatabaseService implements OnModuleInit {
  private readonly logger = new Logger('db');
  readonly router: ReplicaRouter;

  constructor(@Inject(WORKER_CONFIG) config: WorkerConfig, @Inject(METRICS_REGISTRY) registry: Registry) {
    this.router = new ReplicaRouter({
      primaryUrl: config.databaseUrl,
      replicaUrls: [],
      applicationName: 'formscale-worker',
      registry,
      // One connection per batch in flight: concurrency / batch size of them, plus webhooks.
      pool: { max: Math.max(4, Math.ceil(config.concurrency / config.batchSize) + 2) },
      logger: {
        info: (fields, message) => this.logger.log({ ...fields, msg: message }),
        warn: (fields, message) => this.logger.warn({ ...fields, msg: message }),
        error: (fields, message) => this.logger.error({ ...fields, msg: message }),
      },
    });
  }

  async onModuleInit(): Promise<void> {
    await this.router.start();
  }

  /** One statement on the primary, its own transaction; the worker serves no reads, so no consistency token. */
  execute<R extends QueryResultRow>(query: QueryConfig): Promise<QueryResult<R>> {
    return this.router.execute<R>(query);
  }

  stop(): Promise<void> {
    return this.router.stop();
  }
}
