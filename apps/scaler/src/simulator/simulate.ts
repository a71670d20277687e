import {
  decide,
  initialScalerState,
  parseTargetConfig,
  type DecisionReason,
  type ScalerState,
  type TargetConfig,
} from '../algorithm';
import { ServiceModel, type ServiceSettings, type StepResult } from './service-model';
import { TraceCursor, traceDuration, type Trace } from './traces';

/**
 * Replays a trace through the service model with the scaler's own decision
 * code (`decide`), once per policy, and sums up what each policy cost and
 * what users got.
 */

export interface SimulationSettings {
  service: ServiceSettings;
  minReplicas: number;
  maxReplicas: number;
  /** The p95 latency users are promised, in ms (the design's goal for reads is 100 ms). */
  latencyObjectiveMs: number;
  /** Model time step, in s: 1 s resolves the queue well and keeps a day-long trace under a second or so. */
  stepSeconds: number;
}

export const DEFAULT_SIMULATION = {
  minReplicas: 2,
  maxReplicas: 40,
  latencyObjectiveMs: 100,
  stepSeconds: 1,
};

/** The policies the simulator compares, by name. */
export const POLICY_NAMES = ['hpa-cpu', 'threshold', 'queue-depth'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

export const POLICY_DESCRIPTIONS: Record<PolicyName, string> = {
  'hpa-cpu': 'Kubernetes HPA, default behavior, CPU utilization target 70 %',
  threshold: "the seed's loop: every 60 s, +2 above 70 % CPU or 80 % memory, -1 below 30 % CPU and 40 % memory",
  'queue-depth': 'HPA arithmetic on queue depth (waiting + in service) per replica, KEDA style, default behavior',
};

/** Jobs (waiting or in service) one replica should hold: 80 % of what it has in service at full capacity. */
function queueTargetPerReplica(service: ServiceSettings): number {
  const inServiceAtCapacity = (service.capacityPerReplica * service.serviceTimeMs) / 1000;
  return Math.max(1, Math.round(0.8 * inServiceAtCapacity * 100) / 100);
}

export function policyConfig(name: PolicyName, settings: SimulationSettings): TargetConfig {
  const base = {
    name: `sim-${name}`,
    backend: 'dry-run',
    resource: 'simulated-service',
    minReplicas: settings.minReplicas,
    maxReplicas: settings.maxReplicas,
  };
  switch (name) {
    case 'hpa-cpu':
      return parseTargetConfig({ ...base, metrics: [{ kind: 'cpu', target: 70 }] });
    case 'threshold':
      return parseTargetConfig({ ...base, policy: 'threshold' });
    case 'queue-depth':
      return parseTargetConfig({
        ...base,
        metrics: [{ kind: 'queueDepth', target: queueTargetPerReplica(settings.service) }],
      });
  }
}

export interface SeriesPoint {
  t: number;
  rps: number;
  replicas: number;
  ready: number;
  p95Ms: number;
  queueAgeSeconds: number;
  backlog: number;
}

export interface AppliedScale {
  t: number;
  from: number;
  to: number;
  reason: DecisionReason;
}

export interface Summary {
  /** Sum over time of the replicas that exist (starting ones cost too), in replica-minutes. */
  replicaMinutes: number;
  /** Time during which the p95 latency of completed requests was above the objective, in s. */
  secondsOverObjective: number;
  /** The oldest any waiting request got, in s. */
  peakQueueAgeSeconds: number;
  /** Decisions that changed the replica count. */
  scaleEvents: number;
  peakReplicas: number;
  peakP95Ms: number;
}

export interface PolicyResult {
  policy: PolicyName;
  description: string;
  config: TargetConfig;
  stepSeconds: number;
  series: SeriesPoint[];
  scales: AppliedScale[];
  summary: Summary;
}

export function summarize(series: SeriesPoint[], stepSeconds: number, scaleEvents: number, objectiveMs: number): Summary {
  let replicaSeconds = 0;
  let secondsOverObjective = 0;
  let peakQueueAgeSeconds = 0;
  let peakReplicas = 0;
  let peakP95Ms = 0;
  for (const point of series) {
    replicaSeconds += point.replicas * stepSeconds;
    if (point.p95Ms > objectiveMs) {
      secondsOverObjective += stepSeconds;
    }
    peakQueueAgeSeconds = Math.max(peakQueueAgeSeconds, point.queueAgeSeconds);
    peakReplicas = Math.max(peakReplicas, point.replicas);
    peakP95Ms = Math.max(peakP95Ms, point.p95Ms);
  }
  return {
    replicaMinutes: replicaSeconds / 60,
    secondsOverObjective,
    peakQueueAgeSeconds,
    scaleEvents,
    peakReplicas,
    peakP95Ms,
  };
}

function toPoint(step: StepResult): SeriesPoint {
  return {
    t: step.t,
    rps: step.rps,
    replicas: step.replicas,
    ready: step.ready,
    p95Ms: step.p95Ms,
    queueAgeSeconds: step.queueAgeSeconds,
    backlog: step.backlog,
  };
}

/**
 * One policy over the whole trace. Every step the model serves the offered
 * load; every sync period the scaler observes the last window, decides, and
 * the decision is applied at once (new replicas then take the start-up time).
 */
export function simulatePolicy(
  trace: Trace,
  policy: PolicyName,
  settings: SimulationSettings,
  onProgress?: (doneSeconds: number) => void,
): PolicyResult {
  const config = policyConfig(policy, settings);
  const model = new ServiceModel(settings.service, settings.minReplicas);
  const cursor = new TraceCursor(trace.points);
  const duration = traceDuration(trace);
  const dt = settings.stepSeconds;
  const syncEvery = config.syncPeriodSeconds;
  const series: SeriesPoint[] = [];
  const scales: AppliedScale[] = [];
  let state: ScalerState = initialScalerState();
  let nextSync = syncEvery;
  const progressEvery = Math.max(dt, Math.floor(duration / 200));
  let nextProgress = progressEvery;

  for (let t = 0; t < duration; t += dt) {
    if (t >= nextSync) {
      const result = decide(config, model.observe(t), state, t * 1000);
      state = result.state;
      const { currentReplicas, desiredReplicas, reason } = result.decision;
      if (desiredReplicas !== currentReplicas) {
        model.scaleTo(desiredReplicas, t);
        scales.push({ t, from: currentReplicas, to: desiredReplicas, reason });
      }
      nextSync += syncEvery;
    }
    series.push(toPoint(model.step(t, dt, cursor.rpsAt(t))));
    if (onProgress !== undefined && t >= nextProgress) {
      onProgress(t);
      nextProgress += progressEvery;
    }
  }
  onProgress?.(duration);
  return {
    policy,
    description: POLICY_DESCRIPTIONS[policy],
    config,
    stepSeconds: dt,
    series,
    scales,
    summary: summarize(series, dt, scales.length, settings.latencyObjectiveMs),
  };
}
