import { REDIS_CLOSE_PROMPTLY } from '@formscale/config';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { ClientProxy } from '@nestjs/microservices';
import { eventChannel, SCALING_DECISION, SCALING_SNAPSHOT, scalingSnapshotSchema } from '@formscale/contracts';
import { closeEventTransport, createEventsClient, emitEvent, EventServer, METRICS_REGISTRY } from '@formscale/observability';
import { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { ScalingBackend } from '../backends/backend';
import { LeaderLease } from '../lease/leader-lease';
import type { BackendName, ScalerTarget } from '../targets/scaler-targets';
import { createScalerMetrics } from './scaler-metrics';
import { ScalingLoop } from './scaling-loop';

export interface ScalerServiceOptions {
  redisUrl: string;
  eventsPrefix: string;
  leaseTtlMs: number;
  instance: string;
  targets: ScalerTarget[];
  backends: Map<BackendName, ScalingBackend>;
}

export const SCALER_SERVICE_OPTIONS = Symbol('SCALER_SERVICE_OPTIONS');

/** The scaler's moving parts: the leader lease, the scaling.snapshot listener and the loop that decides and applies. */
@Injectable()
export class ScalerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ScalerService.name);
  private readonly server: EventServer;
  private readonly events: ClientProxy;
  private readonly leaseRedis: Redis;
  readonly lease: LeaderLease;
  readonly loop: ScalingLoop;
  private invalidSnapshots = 0;

  constructor(
    @Inject(SCALER_SERVICE_OPTIONS) private readonly options: ScalerServiceOptions,
    @Inject(METRICS_REGISTRY) registry: Registry,
  ) {
    const metrics = createScalerMetrics(registry);
    this.events = createEventsClient(options.redisUrl);
    // Fail a lease call fast while Redis is away instead of queueing it: a stale renewal is worthless.
    this.leaseRedis = new Redis(options.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, ...REDIS_CLOSE_PROMPTLY });
    this.leaseRedis.on('error', () => undefined);
    const decisionChannel = eventChannel(options.eventsPrefix, SCALING_DECISION);
    this.loop = new ScalingLoop({
      targets: options.targets,
      backends: options.backends,
      metrics,
      isLeader: () => this.lease.isLeader(),
      emitDecision: (decision) => emitEvent(this.events, decisionChannel, decision),
      logger: this.logger,
    });
    this.lease = new LeaderLease(this.leaseRedis, {
      key: `${options.eventsPrefix}scaler:leader`,
      ttlMs: options.leaseTtlMs,
      onChange: (leader) => {
        metrics.leader.set(leader ? 1 : 0);
        if (!leader) this.loop.reset();
        this.logger.log({ msg: leader ? 'leader lease taken: acting' : 'leader lease lost: standing by', instance: options.instance });
      },
    });
    this.server = new EventServer(options.redisUrl, this.logger);
    this.server.on(eventChannel(options.eventsPrefix, SCALING_SNAPSHOT), async (data: unknown) => {
      const parsed = scalingSnapshotSchema.safeParse(data);
      if (!parsed.success) {
        this.invalidSnapshots++;
        metrics.invalidSnapshots.inc();
        this.logger.warn({ msg: 'snapshot dropped: payload does not match its schema', issues: parsed.error.issues.slice(0, 3) });
        return;
      }
      await this.loop.onSnapshot(parsed.data);
    });
  }

  status() {
    return {
      instance: this.options.instance,
      leader: this.lease.isLeader(),
      invalidSnapshots: this.invalidSnapshots,
      targets: this.options.targets.map(({ config, service, queue }) => ({ name: config.name, backend: config.backend, resource: config.resource, service, queue })),
      ...this.loop.status,
    };
  }

  /** Not awaited: a scaler started while Redis is away serves its health (Redis down) and subscribes later. */
  onApplicationBootstrap(): void {
    this.leaseRedis.connect().catch(() => undefined);
    this.lease.start();
    this.server.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.lease.stop();
    await this.server.close();
    await closeEventTransport(this.events);
    this.leaseRedis.disconnect();
    await Promise.all([...this.options.backends.values()].map((backend) => backend.close()));
  }
}
