import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { ClientProxy } from '@nestjs/microservices';
import { eventChannel, METRICS_SAMPLE } from '@formscale/contracts';
import type { Registry } from 'prom-client';
import { closeEventTransport, createEventsClient, emitEvent } from './event-transport';
import { METRICS_REGISTRY } from './metrics.module';
import { SampleBuilder } from './metrics-sample';

export interface SamplePublisherOptions {
  service: string;
  instance: string;
  redisUrl: string;
  eventsPrefix: string;
  intervalMs: number;
}

export const SAMPLE_PUBLISHER_OPTIONS = Symbol('SAMPLE_PUBLISHER_OPTIONS');

/**
 * Every interval, sends metrics.sample with what changed since the last one.
 * The final sample goes out in onApplicationShutdown, after the HTTP server
 * has closed, so the last requests answered are counted too.
 */
@Injectable()
export class SamplePublisher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SamplePublisher.name);
  private readonly builder: SampleBuilder;
  private readonly client: ClientProxy;
  private readonly channel: string;
  private timer: NodeJS.Timeout | undefined;
  // Samples are sent one at a time so their deltas arrive in order.
  private sending: Promise<void> = Promise.resolve();

  constructor(
    @Inject(METRICS_REGISTRY) registry: Registry,
    @Inject(SAMPLE_PUBLISHER_OPTIONS) private readonly options: SamplePublisherOptions,
  ) {
    this.builder = new SampleBuilder(registry, options.service, options.instance);
    this.client = createEventsClient(options.redisUrl);
    this.channel = eventChannel(options.eventsPrefix, METRICS_SAMPLE);
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.publish(false), this.options.intervalMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.publish(true);
    this.builder.stop();
    await closeEventTransport(this.client);
  }

  /** Takes and sends one sample; a failed send is logged and its deltas are lost, as for any event. */
  publish(final: boolean): Promise<void> {
    this.sending = this.sending.then(async () => {
      const sample = await this.builder.take(final);
      try {
        await emitEvent(this.client, this.channel, sample);
      } catch (error) {
        this.logger.warn({ msg: 'metrics sample not sent', reason: error instanceof Error ? error.message : String(error) });
      }
    });
    return this.sending;
  }
}
