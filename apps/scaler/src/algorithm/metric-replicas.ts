import type { ReplicaSample } from './observation';

/**
 * The HPA's replica calculator (pkg/controller/podautoscaler/replica_calculator.go),
 * one function per metric source type, with its arithmetic kept as it is:
 * quantities become integer milli-values, averages are truncated integer
 * divisions, utilization is a truncated whole percentage, and the desired count
 * is ceil(ratio x counted replicas).
 */

export interface Tolerances {
  scaleUp: number;
  scaleDown: number;
}

export type MetricProposal =
  | {
      ok: true;
      /** Replicas this metric asks for. */
      replicas: number;
      /** The observed value in the metric's unit, as the HPA reports it. */
      value: number;
      ratio: number;
      /** The ratio was within the tolerance, so the proposal is the current count. */
      withinTolerance: boolean;
    }
  | { ok: false; error: string };

/** Quantity.MilliValue(): quantities are compared as integer thousandths. */
export function toMilli(value: number): number {
  return Math.round(value * 1000);
}

/** The HPA keeps the count while 1 - scaleDown <= ratio <= 1 + scaleUp (both ends included). */
export function isWithinTolerance(ratio: number, tolerances: Tolerances): boolean {
  return 1 - tolerances.scaleDown <= ratio && ratio <= 1 + tolerances.scaleUp;
}

type PerReplicaKind = 'cpu' | 'memory' | 'requestRate';

interface GroupedReplicas {
  /** Milli-values of the replicas that count, in order. */
  metrics: number[];
  unready: number;
  missing: number;
}

/** groupPods(): pending replicas and, for CPU only, unready ones are set aside; replicas without a value are missing. */
function groupReplicas(replicas: ReplicaSample[], kind: PerReplicaKind): GroupedReplicas {
  const grouped: GroupedReplicas = { metrics: [], unready: 0, missing: 0 };
  for (const replica of replicas) {
    if (replica.state === 'pending') {
      grouped.unready++;
      continue;
    }
    const value = replica[kind];
    if (value === undefined) {
      grouped.missing++;
      continue;
    }
    if (kind === 'cpu' && replica.state === 'unready') {
      grouped.unready++;
      continue;
    }
    grouped.metrics.push(toMilli(value));
  }
  return grouped;
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

/**
 * The request each replica's utilization is a share of, in milli-units. With
 * one request for all replicas the HPA's sum(usage) x 100 / sum(request) is the
 * mean utilization truncated to a whole percent; a round number keeps that exact.
 */
const REQUEST_MILLI = 100_000;

/** GetResourceUtilizationRatio(): utilization is a truncated integer percentage. */
function utilizationOf(metrics: number[]): number {
  return Math.trunc((sum(metrics) * 100) / (metrics.length * REQUEST_MILLI));
}

/** GetMetricUsageRatio(): the average is a truncated integer division of milli-values. */
function averageOf(metrics: number[]): number {
  return Math.trunc(sum(metrics) / metrics.length);
}

interface UsageModel {
  /** The value whose ratio to the target drives the decision (percent or milli-value). */
  usage(metrics: number[]): number;
  target: number;
  /** What a missing replica is assumed to use on a scale-down. */
  missingOnScaleDown: number;
  /** The value reported back, in the metric's own unit. */
  report(usage: number): number;
}

/**
 * The shared body of GetResourceReplicas and calcPlainMetricReplicas: missing
 * replicas count as the target on a scale-down and as 0 on a scale-up, unready
 * ones as 0 on a scale-up; if that turns the direction round, or brings the
 * ratio within the tolerance, the count stays.
 */
function perReplicaProposal(
  specReplicas: number,
  replicas: ReplicaSample[],
  kind: PerReplicaKind,
  model: UsageModel,
  tolerances: Tolerances,
): MetricProposal {
  if (replicas.length === 0) {
    return { ok: false, error: 'no replicas found while calculating the replica count' };
  }
  const { metrics, unready, missing } = groupReplicas(replicas, kind);
  if (metrics.length === 0) {
    return { ok: false, error: `no ${kind} values for the target's replicas (they might be unready)` };
  }
  const readyCount = metrics.length;
  const usage = model.usage(metrics);
  const ratio = usage / model.target;
  const value = model.report(usage);

  const scaleUpWithUnready = unready > 0 && ratio > 1;
  if (!scaleUpWithUnready && missing === 0) {
    if (isWithinTolerance(ratio, tolerances)) {
      return { ok: true, replicas: specReplicas, value, ratio, withinTolerance: true };
    }
    return { ok: true, replicas: Math.ceil(ratio * readyCount), value, ratio, withinTolerance: false };
  }

  const adjusted = [...metrics];
  if (missing > 0) {
    if (ratio < 1) {
      adjusted.push(...new Array<number>(missing).fill(model.missingOnScaleDown));
    } else if (ratio > 1) {
      adjusted.push(...new Array<number>(missing).fill(0));
    }
  }
  if (scaleUpWithUnready) {
    adjusted.push(...new Array<number>(unready).fill(0));
  }
  const newRatio = model.usage(adjusted) / model.target;
  if (isWithinTolerance(newRatio, tolerances) || (ratio < 1 && newRatio > 1) || (ratio > 1 && newRatio < 1)) {
    return { ok: true, replicas: specReplicas, value, ratio, withinTolerance: isWithinTolerance(newRatio, tolerances) };
  }
  const newReplicas = Math.ceil(newRatio * adjusted.length);
  if ((newRatio < 1 && newReplicas > specReplicas) || (newRatio > 1 && newReplicas < specReplicas)) {
    return { ok: true, replicas: specReplicas, value, ratio, withinTolerance: false };
  }
  return { ok: true, replicas: newReplicas, value, ratio, withinTolerance: false };
}

/**
 * A Resource metric with an averageUtilization target (CPU, memory). A missing
 * replica is assumed at 100 % of its request on a scale-down (or at the target
 * when the target is above 100 %), as the HPA's code does.
 */
export function resourceUtilizationReplicas(
  specReplicas: number,
  replicas: ReplicaSample[],
  resource: 'cpu' | 'memory',
  targetUtilization: number,
  tolerances: Tolerances,
): MetricProposal {
  return perReplicaProposal(
    specReplicas,
    replicas,
    resource,
    {
      usage: utilizationOf,
      target: targetUtilization,
      missingOnScaleDown: (REQUEST_MILLI * Math.max(100, targetUtilization)) / 100,
      report: (utilization) => utilization,
    },
    tolerances,
  );
}

/** A Pods metric with an averageValue target (requests per second per replica). */
export function podsAverageValueReplicas(
  specReplicas: number,
  replicas: ReplicaSample[],
  kind: 'requestRate',
  targetPerReplica: number,
  tolerances: Tolerances,
): MetricProposal {
  const targetMilli = toMilli(targetPerReplica);
  return perReplicaProposal(
    specReplicas,
    replicas,
    kind,
    { usage: averageOf, target: targetMilli, missingOnScaleDown: targetMilli, report: (usage) => usage / 1000 },
    tolerances,
  );
}

/**
 * An Object metric with a Value target (the p95 latency of the service):
 * ceil(ratio x ready replicas); from zero replicas, ceil(ratio).
 */
export function objectValueReplicas(
  specReplicas: number,
  readyReplicas: number,
  value: number,
  target: number,
  tolerances: Tolerances,
): MetricProposal {
  const ratio = toMilli(value) / toMilli(target);
  if (specReplicas === 0) {
    return { ok: true, replicas: Math.ceil(ratio), value, ratio, withinTolerance: false };
  }
  if (isWithinTolerance(ratio, tolerances)) {
    return { ok: true, replicas: specReplicas, value, ratio, withinTolerance: true };
  }
  return { ok: true, replicas: Math.ceil(ratio * readyReplicas), value, ratio, withinTolerance: false };
}

/**
 * An External metric with an AverageValue target, as KEDA sets up for a queue:
 * the total is divided by the replicas that exist (scale.status.replicas);
 * outside the tolerance the answer is ceil(total / target per replica).
 */
export function externalAverageValueReplicas(
  statusReplicas: number,
  total: number,
  targetPerReplica: number,
  tolerances: Tolerances,
): MetricProposal {
  const usage = toMilli(total);
  const targetMilli = toMilli(targetPerReplica);
  // With no replica the ratio is Infinity or NaN, never within the tolerance, as in Go.
  const ratio = usage / (targetMilli * statusReplicas);
  if (isWithinTolerance(ratio, tolerances)) {
    return { ok: true, replicas: statusReplicas, value: total, ratio, withinTolerance: true };
  }
  return { ok: true, replicas: Math.ceil(usage / targetMilli), value: total, ratio, withinTolerance: false };
}
