import { Controller, DynamicModule, Get, Inject, Module, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { createHttpMetrics } from './http-metrics';
import { CpuMeter, memoryPercent } from './process-usage';

/** Injection token of the process's one prom-client registry. */
export const METRICS_REGISTRY = Symbol('METRICS_REGISTRY');
/** Injection token of the HTTP request counter and histogram (see instrumentFastify). */
export const HTTP_METRICS = Symbol('HTTP_METRICS');

const NON_COUNTERS_NAMED_TOTAL = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

@Controller('metrics')
class MetricsController {
  constructor(@Inject(METRICS_REGISTRY) private readonly registry: Registry) {}

  @Get()
  async scrape(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    reply.header('Content-Type', this.registry.contentType);
    return this.registry.metrics();
  }
}

function registerUsageGauges(registry: Registry): void {
  const cpu = new CpuMeter();
  new Gauge({
    name: 'cpu_usage_percent',
    help: 'CPU used by this process since the previous scrape, in percent of its limit (cgroup quota, else all cores).',
    registers: [registry],
    collect() {
      this.set(cpu.percentSinceLastRead());
    },
  });
  new Gauge({
    name: 'memory_usage_percent',
    help: 'Resident memory of this process in percent of its limit (cgroup memory.max, else machine memory).',
    registers: [registry],
    collect() {
      this.set(memoryPercent());
    },
  });
}

/**
 * One registry per process, labelled with its service and instance, served at
 * /metrics: Node's defaults (event-loop lag among them), HTTP requests by
 * route template, CPU and memory against the limit. Other libs register their
 * own metrics on it through METRICS_REGISTRY.
 */
@Module({})
export class MetricsModule {
  static forRoot(options: { service: string; instance: string }): DynamicModule {
    return {
      module: MetricsModule,
      global: true,
      controllers: [MetricsController],
      providers: [
        {
          provide: METRICS_REGISTRY,
          useFactory: () => {
            const registry = new Registry();
            registry.setDefaultLabels({ service: options.service, instance: options.instance });
            collectDefaultMetrics({ register: registry });
            // Gauges named like counters: promtool check metrics rejects them, and
            // handle counts say little that event-loop lag and memory do not.
            for (const name of NON_COUNTERS_NAMED_TOTAL) registry.removeSingleMetric(name);
            registerUsageGauges(registry);
            return registry;
          },
        },
        { provide: HTTP_METRICS, useFactory: createHttpMetrics, inject: [METRICS_REGISTRY] },
      ],
      exports: [METRICS_REGISTRY, HTTP_METRICS],
    };
  }
}
