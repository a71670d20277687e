import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import {
  eventChannel,
  METRICS_SAMPLE,
  metricsSampleSchema,
  SCALING_DECISION,
  scalingDecisionSchema,
} from '@formscale/contracts';
import { EventServer } from '@formscale/observability';
import type { z } from 'zod';
import { CollectorState } from '../collector-state';

export interface EventSubscriberOptions {
  redisUrl: string;
  eventsPrefix: string;
}

export const EVENT_SUBSCRIBER_OPTIONS = Symbol('EVENT_SUBSCRIBER_OPTIONS');

/** Listens on the Redis event transport for metrics.sample and scaling.decision. */
@Injectable()
export class EventSubscriber implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(EventSubscriber.name);
  private readonly server: EventServer;

  constructor(
    @Inject(EVENT_SUBSCRIBER_OPTIONS) options: EventSubscriberOptions,
    private readonly state: CollectorState,
  ) {
    this.server = new EventServer(options.redisUrl, this.logger);
    this.on(eventChannel(options.eventsPrefix, METRICS_SAMPLE), metricsSampleSchema, (sample) => state.addSample(sample));
    this.on(eventChannel(options.eventsPrefix, SCALING_DECISION), scalingDecisionSchema, (decision) => state.addDecision(decision));
  }

  private on<T>(channel: string, schema: z.ZodType<T>, handle: (payload: T) => void): void {
    this.server.on(channel, (data: unknown) => {
      const parsed = schema.safeParse(data);
      if (parsed.success) handle(parsed.data);
      else this.logger.warn({ msg: 'event dropped: payload does not match its schema', channel, issues: parsed.error.issues.slice(0, 3) });
    });
  }

  // Not awaited: a collector started while Redis is away still serves its
  // dashboard and readiness (which reports Redis down) and subscribes later.
  onApplicationBootstrap(): void {
    this.server.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.server.close();
  }
}
