import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ServerRedis } from '@nestjs/microservices';
import {
  eventChannel,
  METRICS_SAMPLE,
  metricsSampleSchema,
  SCALING_DECISION,
  scalingDecisionSchema,
} from '@formscale/contracts';
import { closeEventTransport, redisTransportOptions } from '@formscale/observability';
import type { z } from 'zod';
import { CollectorState } from '../collector-state';

export interface EventSubscriberOptions {
  redisUrl: string;
  eventsPrefix: string;
}

export const EVENT_SUBSCRIBER_OPTIONS = Symbol('EVENT_SUBSCRIBER_OPTIONS');

/**
 * Listens on the Redis event transport for metrics.sample and
 * scaling.decision. Nest's own ServerRedis, so the wire format is the one
 * ClientProxy.emit writes; handlers are added here rather than with
 * @EventPattern because the channel names carry the configured prefix.
 */
@Injectable()
export class EventSubscriber implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(EventSubscriber.name);
  private readonly server: ServerRedis;

  constructor(
    @Inject(EVENT_SUBSCRIBER_OPTIONS) options: EventSubscriberOptions,
    private readonly state: CollectorState,
  ) {
    this.server = new ServerRedis(redisTransportOptions(options.redisUrl));
    this.on(eventChannel(options.eventsPrefix, METRICS_SAMPLE), metricsSampleSchema, (sample) => state.addSample(sample));
    this.on(eventChannel(options.eventsPrefix, SCALING_DECISION), scalingDecisionSchema, (decision) => state.addDecision(decision));
  }

  private on<T>(channel: string, schema: z.ZodType<T>, handle: (payload: T) => void): void {
    this.server.addHandler(
      channel,
      async (data: unknown) => {
        const parsed = schema.safeParse(data);
        if (parsed.success) handle(parsed.data);
        else this.logger.warn({ msg: 'event dropped: payload does not match its schema', channel, issues: parsed.error.issues.slice(0, 3) });
      },
      true,
    );
  }

  // Not awaited: a collector started while Redis is away still serves its
  // dashboard and readiness (which reports Redis down) and connects later.
  onApplicationBootstrap(): void {
    this.server.listen((error?: unknown) => {
      if (error !== undefined) this.logger.error({ msg: 'event subscription failed', reason: String(error) });
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await closeEventTransport(this.server);
  }
}
