import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { ClientProxy } from '@nestjs/microservices';
import { eventChannel, SCALING_SNAPSHOT, scalingSnapshotSchema } from '@formscale/contracts';
import { closeEventTransport, createEventsClient, emitEvent } from '@formscale/observability';
import { CollectorState } from './collector-state';

export interface SnapshotPublisherOptions {
  redisUrl: string;
  eventsPrefix: string;
  syncIntervalMs: number;
}

export const SNAPSHOT_PUBLISHER_OPTIONS = Symbol('SNAPSHOT_PUBLISHER_OPTIONS');

/** Every sync period, sends scaling.snapshot for the scaler. */
@Injectable()
export class SnapshotPublisher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SnapshotPublisher.name);
  private readonly client: ClientProxy;
  private readonly channel: string;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(SNAPSHOT_PUBLISHER_OPTIONS) private readonly options: SnapshotPublisherOptions,
    private readonly state: CollectorState,
  ) {
    this.client = createEventsClient(options.redisUrl);
    this.channel = eventChannel(options.eventsPrefix, SCALING_SNAPSHOT);
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.publish(), this.options.syncIntervalMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await closeEventTransport(this.client);
  }

  async publish(): Promise<void> {
    // Parsed before sending so a bug here shows up in the collector's log, not as the scaler's rejection.
    const snapshot = scalingSnapshotSchema.parse(this.state.scalingSnapshot());
    try {
      await emitEvent(this.client, this.channel, snapshot);
    } catch (error) {
      this.logger.warn({ msg: 'scaling snapshot not sent', reason: error instanceof Error ? error.message : String(error) });
    }
  }
}
