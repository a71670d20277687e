import {
  emptyHpaHistory,
  LIMIT_MESSAGES,
  normalizeDesiredReplicas,
  recordInitialRecommendation,
  recordScaleEvent,
  STABILIZATION_MESSAGES,
  type HpaHistory,
  type LimitReason,
  type StabilizationReason,
} from './hpa-behavior';
import {
  externalAverageValueReplicas,
  objectValueReplicas,
  podsAverageValueReplicas,
  resourceUtilizationReplicas,
  type MetricProposal,
  type Tolerances,
} from './metric-replicas';
import type { Observation, ReplicaSample } from './observation';
import { queueDepth } from './queue-depth';
import { resolveBehavior, type Behavior, type MetricKind, type MetricSpec, type TargetConfig } from './target-config';
import { thresholdDecision, type ThresholdReason } from './threshold-policy';

/**
 * One sync of the scaler for one target: the observation in, the decision
 * out. Kubernetes' HPA arithmetic for 1..N replicas, KEDA's activation,
 * cooldown and fallback around it for 0 <-> 1, or the seed's threshold loop.
 * Pure: the state the controllers keep in memory is passed in and returned,
 * and `now` (ms) is the only clock.
 */

export interface ScalerState {
  hpa: HpaHistory;
  /** Consecutive failed reads per metric kind (KEDA's health status). */
  failures: Partial<Record<MetricKind, number>>;
  /** KEDA's lastActiveTime: the last sync at which a trigger was above its activation threshold. */
  lastActiveAt?: number;
  /** When the threshold loop last looked. */
  lastThresholdCheckAt?: number;
}

export function initialScalerState(): ScalerState {
  return { hpa: emptyHpaHistory(), failures: {} };
}

export type DecisionReason =
  | LimitReason
  | Exclude<StabilizationReason, 'ReadyForNewScale'>
  | ThresholdReason
  /** The count was above maxReplicas: brought down to it. */
  | 'AboveMaxReplicas'
  /** The count was below minReplicas: brought up to it. */
  | 'BelowMinReplicas'
  /** All metrics failed, or some failed and the rest would scale down: nothing changes. */
  | 'FailedComputeMetricsReplicas'
  /** A metric failed more times in a row than fallback.failureThreshold and its fallback count decided. */
  | 'Fallback'
  /** At zero, a trigger went above its activation threshold (KEDA). */
  | 'ScaledFromZero'
  /** No trigger active for cooldownSeconds (KEDA). */
  | 'ScaledToZero'
  /** At zero and no trigger active. */
  | 'IdleAtZero';

export interface MetricStatus {
  kind: MetricKind;
  target: number;
  /** Observed value: utilization %, req/s per replica, p95 ms, or jobs in the queue. */
  value?: number;
  /** The replica count this metric asks for. */
  replicas?: number;
  withinTolerance?: boolean;
  /** Above its activation threshold; undefined for metrics that do not take part in activation. */
  active?: boolean;
  error?: string;
  consecutiveFailures: number;
  /** The proposal is the fallback count. */
  fallback: boolean;
}

export interface ScaleDecision {
  target: string;
  policy: TargetConfig['policy'];
  at: number;
  currentReplicas: number;
  desiredReplicas: number;
  reason: DecisionReason;
  message: string;
  /** The highest metric proposal, before stabilization and limits. */
  recommendation?: number;
  /** The recommendation after the stabilization windows. */
  stabilizedRecommendation?: number;
  metrics: MetricStatus[];
}

export interface DecideResult {
  decision: ScaleDecision;
  /** The state for the next sync once the decision has been applied. */
  state: ScalerState;
  /** The state for the next sync if applying the decision failed: no scale event is remembered. */
  stateIfNotApplied: ScalerState;
}

function toleranceOf(behavior: Behavior): Tolerances {
  return { scaleUp: behavior.scaleUp.tolerance, scaleDown: behavior.scaleDown.tolerance };
}

function proposeFor(metric: MetricSpec, observation: Observation, tolerances: Tolerances): MetricProposal {
  const failure = observation.failures?.[metric.kind];
  if (failure !== undefined) {
    return { ok: false, error: failure };
  }
  const { currentReplicas, replicas } = observation;
  switch (metric.kind) {
    case 'cpu':
    case 'memory':
      return resourceUtilizationReplicas(currentReplicas, replicas, metric.kind, metric.target, tolerances);
    case 'requestRate':
      return podsAverageValueReplicas(currentReplicas, replicas, metric.kind, metric.target, tolerances);
    case 'latencyP95': {
      if (observation.latencyP95Ms === undefined) {
        return { ok: false, error: 'the snapshot has no p95 latency for the target' };
      }
      const ready = replicas.filter((replica) => replica.state === 'ready').length;
      return objectValueReplicas(currentReplicas, ready, observation.latencyP95Ms, metric.target, tolerances);
    }
    case 'queueDepth': {
      if (observation.queue === undefined) {
        return { ok: false, error: 'the snapshot has no queue counts for the target' };
      }
      return externalAverageValueReplicas(replicas.length, queueDepth(observation.queue), metric.target, tolerances);
    }
  }
}

/**
 * Which metrics wake a target from zero and keep it awake: the queue always
 * (KEDA's default activation threshold is 0), others only when given an
 * activation threshold. CPU and memory never do, as in KEDA.
 */
function takesPartInActivation(metric: MetricSpec): boolean {
  if (metric.kind === 'cpu' || metric.kind === 'memory') {
    return false;
  }
  return metric.kind === 'queueDepth' || metric.activation !== undefined;
}

function readMetric(
  config: TargetConfig,
  metric: MetricSpec,
  observation: Observation,
  tolerances: Tolerances,
  failuresBefore: number,
): MetricStatus {
  const proposal = proposeFor(metric, observation, tolerances);
  if (proposal.ok) {
    return {
      kind: metric.kind,
      target: metric.target,
      value: proposal.value,
      replicas: proposal.replicas,
      withinTolerance: proposal.withinTolerance,
      active: takesPartInActivation(metric) ? proposal.value > (metric.activation ?? 0) : undefined,
      consecutiveFailures: 0,
      fallback: false,
    };
  }
  const consecutiveFailures = failuresBefore + 1;
  const status: MetricStatus = {
    kind: metric.kind,
    target: metric.target,
    error: proposal.error,
    consecutiveFailures,
    fallback: false,
  };
  if (config.fallback !== undefined && consecutiveFailures > config.fallback.failureThreshold) {
    // KEDA reports target x fallback replicas as an AverageValue metric, and the HPA does the rest.
    const fallback = externalAverageValueReplicas(
      observation.replicas.length,
      metric.target * config.fallback.replicas,
      metric.target,
      tolerances,
    );
    if (fallback.ok) {
      return { ...status, fallback: true, replicas: fallback.replicas, withinTolerance: fallback.withinTolerance };
    }
  }
  return status;
}

function describe(status: MetricStatus): string {
  if (status.error !== undefined && !status.fallback) {
    return `${status.kind} failed (${status.error})`;
  }
  if (status.fallback) {
    return `${status.kind} failed ${status.consecutiveFailures} times in a row, fallback -> ${status.replicas}`;
  }
  return `${status.kind} ${round2(status.value ?? 0)} (target ${status.target}) -> ${status.replicas}`;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

function mean(replicas: ReplicaSample[], kind: 'cpu' | 'memory'): number | undefined {
  const values = replicas
    .filter((replica) => replica.state !== 'pending')
    .map((replica) => replica[kind])
    .filter((value): value is number => value !== undefined);
  if (values.length === 0) {
    return undefined;
  }
  return values.reduce((total, value) => total + value, 0) / values.length;
}

interface Outcome {
  desiredReplicas: number;
  reason: DecisionReason;
  message: string;
  recommendation?: number;
  stabilizedRecommendation?: number;
  /** History after the sync, before any scale event is stored. */
  hpa: HpaHistory;
  /** Whether the HPA stores a scale event for this change (KEDA's 0 <-> 1 moves are not the HPA's). */
  hpaScaled: boolean;
  lastActiveAt?: number;
  lastThresholdCheckAt?: number;
}

export function decide(config: TargetConfig, observation: Observation, state: ScalerState, now: number): DecideResult {
  const behavior = resolveBehavior(config.behavior);
  const tolerances = toleranceOf(behavior);
  const metrics = config.metrics.map((metric) =>
    readMetric(config, metric, observation, tolerances, state.failures[metric.kind] ?? 0),
  );
  const failures: ScalerState['failures'] = {};
  for (const status of metrics) {
    failures[status.kind] = status.consecutiveFailures;
  }

  const outcome =
    config.policy === 'threshold'
      ? decideThreshold(config, observation, state, now)
      : decideHpaWithActivation(config, behavior, observation, metrics, state, now);

  const current = observation.currentReplicas;
  const base: ScalerState = {
    hpa: outcome.hpa,
    failures,
    lastActiveAt: outcome.lastActiveAt,
    lastThresholdCheckAt: outcome.lastThresholdCheckAt,
  };
  const scaled = outcome.hpaScaled && outcome.desiredReplicas !== current;
  const applied: ScalerState = scaled
    ? { ...base, hpa: recordScaleEvent(outcome.hpa, behavior, current, outcome.desiredReplicas, now) }
    : base;
  const metricSummary = metrics.map(describe).join('; ');
  return {
    decision: {
      target: config.name,
      policy: config.policy,
      at: now,
      currentReplicas: current,
      desiredReplicas: outcome.desiredReplicas,
      reason: outcome.reason,
      message: metricSummary === '' ? outcome.message : `${outcome.message}; ${metricSummary}`,
      recommendation: outcome.recommendation,
      stabilizedRecommendation: outcome.stabilizedRecommendation,
      metrics,
    },
    state: applied,
    stateIfNotApplied: base,
  };
}

/** The count outside min/max is corrected before any metric is looked at, as the HPA does. */
function clampOutcome(config: TargetConfig, current: number, minReplicas: number, state: ScalerState): Outcome | undefined {
  if (current > config.maxReplicas) {
    return {
      desiredReplicas: config.maxReplicas,
      reason: 'AboveMaxReplicas',
      message: 'Current number of replicas above maxReplicas',
      hpa: state.hpa,
      hpaScaled: true,
      lastActiveAt: state.lastActiveAt,
      lastThresholdCheckAt: state.lastThresholdCheckAt,
    };
  }
  if (current < minReplicas) {
    return {
      desiredReplicas: minReplicas,
      reason: 'BelowMinReplicas',
      message: 'Current number of replicas below minReplicas',
      hpa: state.hpa,
      hpaScaled: true,
      lastActiveAt: state.lastActiveAt,
      lastThresholdCheckAt: state.lastThresholdCheckAt,
    };
  }
  return undefined;
}

function decideThreshold(config: TargetConfig, observation: Observation, state: ScalerState, now: number): Outcome {
  const current = observation.currentReplicas;
  const clamped = clampOutcome(config, current, config.minReplicas, state);
  if (clamped !== undefined) {
    return clamped;
  }
  const keep = { hpa: state.hpa, hpaScaled: false, lastActiveAt: state.lastActiveAt };
  const cpu = observation.failures?.cpu === undefined ? mean(observation.replicas, 'cpu') : undefined;
  const memory = observation.failures?.memory === undefined ? mean(observation.replicas, 'memory') : undefined;
  if (cpu === undefined || memory === undefined) {
    return {
      ...keep,
      desiredReplicas: current,
      reason: 'FailedComputeMetricsReplicas',
      message: 'the threshold loop needs the cpu and memory of the running replicas',
      lastThresholdCheckAt: state.lastThresholdCheckAt,
    };
  }
  const result = thresholdDecision({
    settings: config.threshold,
    minReplicas: config.minReplicas,
    maxReplicas: config.maxReplicas,
    currentReplicas: current,
    cpu,
    memory,
    lastCheckAt: state.lastThresholdCheckAt,
    now,
  });
  return {
    ...keep,
    desiredReplicas: result.replicas,
    reason: result.reason,
    message: result.message,
    lastThresholdCheckAt: result.checkedAt,
  };
}

/**
 * KEDA around the HPA: with minReplicas 0, KEDA moves the target between 0
 * and 1 (activation, cooldown) and the HPA, whose minimum is then 1, handles
 * 1..N. A failed activity read counts as "do not know": it keeps the target
 * awake rather than scaling it to zero blind.
 */
function decideHpaWithActivation(
  config: TargetConfig,
  behavior: Behavior,
  observation: Observation,
  metrics: MetricStatus[],
  state: ScalerState,
  now: number,
): Outcome {
  const current = observation.currentReplicas;
  if (config.minReplicas > 0) {
    return decideHpa(config, behavior, observation, metrics, state, config.minReplicas, now);
  }
  const active = metrics.some((status) => status.active === true);
  const unknown = metrics.some((status) => status.error !== undefined);
  const fallback = metrics.find((status) => status.fallback);
  const lastActiveAt = active ? now : state.lastActiveAt;
  const withActivity = { ...state, lastActiveAt };

  if (current === 0) {
    const stay = { hpa: state.hpa, hpaScaled: false, lastActiveAt, lastThresholdCheckAt: state.lastThresholdCheckAt };
    if (active) {
      return { ...stay, desiredReplicas: 1, reason: 'ScaledFromZero', message: 'a trigger is above its activation threshold' };
    }
    if (fallback !== undefined && config.fallback !== undefined) {
      return {
        ...stay,
        desiredReplicas: Math.min(config.fallback.replicas, config.maxReplicas),
        reason: 'Fallback',
        message: `${fallback.kind} failed ${fallback.consecutiveFailures} times in a row: scaling to the fallback count`,
      };
    }
    return { ...stay, desiredReplicas: 0, reason: 'IdleAtZero', message: 'no trigger is above its activation threshold' };
  }

  if (!active && !unknown) {
    const cooldownOver = lastActiveAt === undefined || lastActiveAt + config.cooldownSeconds * 1000 < now;
    if (cooldownOver) {
      return {
        desiredReplicas: 0,
        reason: 'ScaledToZero',
        message: `no trigger active for ${config.cooldownSeconds} s`,
        hpa: state.hpa,
        hpaScaled: false,
        lastActiveAt,
        lastThresholdCheckAt: state.lastThresholdCheckAt,
      };
    }
  }
  return decideHpa(config, behavior, observation, metrics, withActivity, 1, now);
}

function decideHpa(
  config: TargetConfig,
  behavior: Behavior,
  observation: Observation,
  metrics: MetricStatus[],
  state: ScalerState,
  minReplicas: number,
  now: number,
): Outcome {
  const current = observation.currentReplicas;
  const clamped = clampOutcome(config, current, minReplicas, state);
  if (clamped !== undefined) {
    return clamped;
  }
  const history = recordInitialRecommendation(state.hpa, current, now);
  const keep = {
    hpa: history,
    hpaScaled: true,
    lastActiveAt: state.lastActiveAt,
    lastThresholdCheckAt: state.lastThresholdCheckAt,
  };

  // computeReplicasForMetrics(): the highest proposal; a failed metric blocks a scale-down, not a scale-up.
  const valid = metrics.filter((status) => status.replicas !== undefined);
  const invalidCount = metrics.length - valid.length;
  let recommendation = 0;
  let driver: MetricStatus | undefined;
  for (const status of valid) {
    const replicas = status.replicas ?? 0;
    if (driver === undefined || replicas > recommendation) {
      recommendation = replicas;
      driver = status;
    }
  }
  if (invalidCount >= metrics.length || (invalidCount > 0 && recommendation < current)) {
    return {
      ...keep,
      desiredReplicas: current,
      reason: 'FailedComputeMetricsReplicas',
      message:
        invalidCount >= metrics.length
          ? 'no metric could be read: keeping the current count'
          : 'a metric failed and the others would scale down: keeping the current count',
    };
  }

  const normalized = normalizeDesiredReplicas(
    history,
    behavior,
    current,
    recommendation,
    minReplicas,
    config.maxReplicas,
    now,
  );
  let reason: DecisionReason;
  let message: string;
  if (normalized.replicas !== normalized.stabilized) {
    reason = normalized.limitReason;
    message = LIMIT_MESSAGES[normalized.limitReason];
  } else if (normalized.stabilizationReason !== 'ReadyForNewScale') {
    reason = normalized.stabilizationReason;
    message = STABILIZATION_MESSAGES[normalized.stabilizationReason];
  } else if (driver?.fallback === true && normalized.replicas !== current) {
    reason = 'Fallback';
    message = `${driver.kind} failed ${driver.consecutiveFailures} times in a row: scaling to the fallback count`;
  } else {
    reason = 'DesiredWithinRange';
    message = LIMIT_MESSAGES.DesiredWithinRange;
  }
  return {
    ...keep,
    hpa: normalized.history,
    desiredReplicas: normalized.replicas,
    reason,
    message,
    recommendation,
    stabilizedRecommendation: normalized.stabilized,
  };
}
