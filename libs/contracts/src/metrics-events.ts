import { z } from 'zod';

/** Event names on the Redis event transport; the channel is EVENTS_PREFIX + name (see eventChannel). */
export const METRICS_SAMPLE = 'metrics.sample';
export const SCALING_SNAPSHOT = 'scaling.snapshot';
export const SCALING_DECISION = 'scaling.decision';

/** The queues the collector watches, by their BullMQ names. */
export const WATCHED_QUEUES = ['submissions', 'webhooks'] as const;

/** The channel an event travels on: the configured prefix keeps side-by-side stacks and tests apart. */
export function eventChannel(prefix: string, name: string): string {
  return `${prefix}${name}`;
}

const labels = z.record(z.string(), z.string());
const finite = z.number().finite();
const nonNegative = finite.nonnegative();

/** How much one counter series grew since the previous sample. */
export const counterDeltaSchema = z.object({ name: z.string().min(1), labels, delta: nonNegative });

/**
 * How much one histogram series grew: per bucket (upper bound, Infinity as "+Inf"),
 * cumulative like Prometheus' le buckets, plus the sum and count.
 */
export const histogramDeltaSchema = z.object({
  name: z.string().min(1),
  labels,
  buckets: z.array(z.object({ le: z.union([nonNegative, z.literal('+Inf')]), delta: nonNegative })),
  sum: nonNegative,
  count: nonNegative,
});

export const metricsSampleSchema = z.object({
  service: z.string().min(1),
  instance: z.string().min(1),
  /** Milliseconds since the epoch when the instance took the sample. */
  at: z.number().int().positive(),
  /** Milliseconds the deltas cover. */
  intervalMs: z.number().int().nonnegative(),
  counters: z.array(counterDeltaSchema),
  histograms: z.array(histogramDeltaSchema),
  /** Of this process against its limit (cgroup's or machine's), 0-100 per core allowed. */
  cpuPercent: nonNegative,
  memoryPercent: nonNegative,
  eventLoopLagSeconds: nonNegative,
  /** True for the sample sent on shutdown: the instance is gone after it. */
  final: z.boolean().default(false),
});

export const serviceFiguresSchema = z.object({
  instances: z.number().int().nonnegative(),
  /** Requests per second over the window. */
  requestRate: nonNegative,
  /** Share of requests answered 5xx, 0-1. */
  errorRate: nonNegative,
  /** Seconds; null while the window holds no request. */
  p95: nonNegative.nullable(),
  cpu: nonNegative,
  memory: nonNegative,
});

export const queueFiguresSchema = z.object({
  waiting: z.number().int().nonnegative(),
  active: z.number().int().nonnegative(),
  delayed: z.number().int().nonnegative(),
  prioritized: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  /** Age of the oldest waiting job; 0 when none waits. */
  oldestAgeSeconds: nonNegative,
});

export const scalingSnapshotSchema = z.object({
  at: z.number().int().positive(),
  /** The window the service figures cover. */
  windowSeconds: z.number().int().positive(),
  services: z.record(z.string(), serviceFiguresSchema),
  queues: z.record(z.string(), queueFiguresSchema),
});

export const scalingDecisionSchema = z.object({
  /** What is scaled, e.g. "forms-api" or "worker". */
  target: z.string().min(1),
  from: z.number().int().nonnegative(),
  to: z.number().int().nonnegative(),
  reason: z.string(),
  /** The figures the decision was taken on. */
  metrics: z.record(z.string(), finite),
  /** Milliseconds since the epoch. */
  at: z.number().int().positive(),
});

export type CounterDelta = z.infer<typeof counterDeltaSchema>;
export type HistogramDelta = z.infer<typeof histogramDeltaSchema>;
export type MetricsSample = z.infer<typeof metricsSampleSchema>;
export type ServiceFigures = z.infer<typeof serviceFiguresSchema>;
export type QueueFigures = z.infer<typeof queueFiguresSchema>;
export type ScalingSnapshot = z.infer<typeof scalingSnapshotSchema>;
export type ScalingDecision = z.infer<typeof scalingDecisionSchema>;
