import { z } from 'zod';

/**
 * The configuration of one scaling target, as the scaler service reads it
 * (from YAML) and as the simulator builds it. The field names follow the
 * Kubernetes HPA v2 (`behavior`, `policies`, `selectPolicy`, ...) and KEDA's
 * ScaledObject (`fallback`, `cooldownPeriod`), so that a reader who knows
 * those can read a target without a glossary.
 */

export const METRIC_KINDS = ['cpu', 'memory', 'requestRate', 'latencyP95', 'queueDepth'] as const;
export const metricKindSchema = z.enum(METRIC_KINDS);
export type MetricKind = z.infer<typeof metricKindSchema>;

/** Kubernetes' controller default (--horizontal-pod-autoscaler-tolerance): no change while |ratio - 1| <= 10 %. */
export const DEFAULT_TOLERANCE = 0.1;
/** Kubernetes' controller default (--horizontal-pod-autoscaler-sync-period): metrics are read every 15 s. */
export const DEFAULT_SYNC_PERIOD_SECONDS = 15;
/** KEDA's default cooldownPeriod: wait 5 minutes after the last activity before scaling to zero. */
export const DEFAULT_COOLDOWN_SECONDS = 300;

const metricSchema = z
  .object({
    kind: metricKindSchema,
    // cpu, memory: average utilization in % of the request; requestRate: req/s per replica;
    // latencyP95: milliseconds; queueDepth: jobs per replica.
    target: z.number().positive(),
    // KEDA's activation threshold: the target counts as active (may leave zero replicas)
    // only while the metric's value is above it. KEDA's default is 0.
    activation: z.number().min(0).optional(),
  })
  .superRefine((metric, ctx) => {
    // The HPA's averageUtilization is an int32 percentage; a fraction would be cut silently.
    if ((metric.kind === 'cpu' || metric.kind === 'memory') && !Number.isInteger(metric.target)) {
      ctx.addIssue({
        code: 'custom',
        path: ['target'],
        message: `a ${metric.kind} target is a whole percentage of the request (e.g. 70), got ${metric.target}`,
      });
    }
  });
export type MetricSpec = z.infer<typeof metricSchema>;

const scalingPolicySchema = z.object({
  type: z.enum(['Pods', 'Percent']),
  value: z.number().int().positive(),
  // The API server accepts 1..1800 s (30 minutes).
  periodSeconds: z.number().int().min(1).max(1800),
});
export type ScalingPolicy = z.infer<typeof scalingPolicySchema>;

export const selectPolicySchema = z.enum(['Max', 'Min', 'Disabled']);
export type SelectPolicy = z.infer<typeof selectPolicySchema>;

const scalingRulesSchema = z.object({
  stabilizationWindowSeconds: z.number().int().min(0).max(3600).optional(),
  selectPolicy: selectPolicySchema.optional(),
  policies: z.array(scalingPolicySchema).min(1).optional(),
  tolerance: z.number().min(0).optional(),
});
export type ScalingRulesInput = z.infer<typeof scalingRulesSchema>;

const behaviorSchema = z.object({
  scaleUp: scalingRulesSchema.optional(),
  scaleDown: scalingRulesSchema.optional(),
});
export type BehaviorInput = z.infer<typeof behaviorSchema>;

/**
 * The seed's bash loop, kept as a policy to compare against. Its defaults are
 * the seed's numbers: every 60 s, +2 replicas above 70 % CPU or 80 % memory,
 * -1 below 30 % CPU and 40 % memory.
 */
const thresholdSchema = z.object({
  intervalSeconds: z.number().int().positive().default(60),
  scaleUpCpu: z.number().min(0).default(70),
  scaleUpMemory: z.number().min(0).default(80),
  scaleDownCpu: z.number().min(0).default(30),
  scaleDownMemory: z.number().min(0).default(40),
  stepUp: z.number().int().positive().default(2),
  stepDown: z.number().int().positive().default(1),
});
export type ThresholdSettings = z.infer<typeof thresholdSchema>;

const fallbackSchema = z.object({
  // KEDA semantics: the fallback starts when the consecutive failures of a metric exceed this number.
  failureThreshold: z.number().int().min(0),
  replicas: z.number().int().min(1),
});
export type FallbackSettings = z.infer<typeof fallbackSchema>;

export const BACKENDS = ['kubernetes', 'swarm', 'local', 'dry-run'] as const;

export const targetConfigSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a target name is lower-case letters, digits and dashes (e.g. "worker")'),
    backend: z.enum(BACKENDS),
    // What the backend scales: a Deployment name (kubernetes), a service name (swarm), a process group (local).
    resource: z.string().min(1),
    minReplicas: z.number().int().min(0).default(1),
    maxReplicas: z.number().int().min(1),
    metrics: z.array(metricSchema).default([]),
    behavior: behaviorSchema.optional(),
    policy: z.enum(['hpa', 'threshold']).default('hpa'),
    threshold: thresholdSchema.prefault({}),
    fallback: fallbackSchema.optional(),
    cooldownSeconds: z.number().int().min(0).default(DEFAULT_COOLDOWN_SECONDS),
    syncPeriodSeconds: z.number().int().positive().default(DEFAULT_SYNC_PERIOD_SECONDS),
  })
  .superRefine((target, ctx) => {
    if (target.maxReplicas < target.minReplicas) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxReplicas'],
        message: `maxReplicas (${target.maxReplicas}) must be at least minReplicas (${target.minReplicas})`,
      });
    }
    if (target.policy === 'hpa' && target.metrics.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['metrics'],
        message: 'the hpa policy needs at least one metric, e.g. [{ kind: cpu, target: 70 }]',
      });
    }
    const seen = new Set<MetricKind>();
    target.metrics.forEach((metric, index) => {
      if (seen.has(metric.kind)) {
        ctx.addIssue({
          code: 'custom',
          path: ['metrics', index, 'kind'],
          message: `metric kind "${metric.kind}" is listed twice; give each kind once`,
        });
      }
      seen.add(metric.kind);
    });
    // With no replica running, only the queue can be observed: nothing else can wake the target.
    if (target.minReplicas === 0 && (target.policy !== 'hpa' || !seen.has('queueDepth'))) {
      ctx.addIssue({
        code: 'custom',
        path: ['minReplicas'],
        message: 'minReplicas 0 (scale to zero) needs the hpa policy and a queueDepth metric to wake the target up',
      });
    }
  });

export type TargetConfigInput = z.input<typeof targetConfigSchema>;
export type TargetConfig = z.output<typeof targetConfigSchema>;

/** Parses a target, throwing one readable error that names every wrong field. */
export function parseTargetConfig(input: unknown): TargetConfig {
  const result = targetConfigSchema.safeParse(input);
  if (!result.success) {
    const name =
      typeof input === 'object' && input !== null && 'name' in input ? String((input as { name: unknown }).name) : '?';
    throw new Error(`invalid scaling target "${name}":\n${z.prettifyError(result.error)}`);
  }
  return result.data;
}

export interface ScalingRules {
  stabilizationWindowSeconds: number;
  selectPolicy: SelectPolicy;
  policies: ScalingPolicy[];
  tolerance: number;
}

export interface Behavior {
  scaleUp: ScalingRules;
  scaleDown: ScalingRules;
}

/**
 * Kubernetes' defaults (pkg/apis/autoscaling/v2/defaults.go): scale up by at
 * most 4 pods or 100 % per 15 s, whichever is more, at once; scale down to
 * any lower count per 15 s, but only to the highest recommendation of the last
 * 5 minutes.
 */
export const DEFAULT_SCALE_UP_RULES: ScalingRules = {
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [
    { type: 'Pods', value: 4, periodSeconds: 15 },
    { type: 'Percent', value: 100, periodSeconds: 15 },
  ],
  tolerance: DEFAULT_TOLERANCE,
};

export const DEFAULT_SCALE_DOWN_RULES: ScalingRules = {
  stabilizationWindowSeconds: 300,
  selectPolicy: 'Max',
  policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
  tolerance: DEFAULT_TOLERANCE,
};

function fillRules(given: ScalingRulesInput | undefined, defaults: ScalingRules): ScalingRules {
  // Like the API server's copyHPAScalingRules: each field given replaces the default as a whole.
  return {
    stabilizationWindowSeconds: given?.stabilizationWindowSeconds ?? defaults.stabilizationWindowSeconds,
    selectPolicy: given?.selectPolicy ?? defaults.selectPolicy,
    policies: given?.policies ?? defaults.policies,
    tolerance: given?.tolerance ?? defaults.tolerance,
  };
}

/** The behavior the HPA would run with: every field not given takes the Kubernetes default. */
export function resolveBehavior(behavior: BehaviorInput | undefined): Behavior {
  return {
    scaleUp: fillRules(behavior?.scaleUp, DEFAULT_SCALE_UP_RULES),
    scaleDown: fillRules(behavior?.scaleDown, DEFAULT_SCALE_DOWN_RULES),
  };
}
