import type { MetricKind } from './target-config';

/**
 * What the scaler sees of a target at one sync: the input of the algorithm.
 * The service builds it from a `scaling.snapshot`; the simulator from its model.
 */

/**
 * `pending`: created but not running yet (a pod in phase Pending, a process still
 * starting): set aside for every metric. `unready`: running but failing its
 * readiness check: set aside for CPU only, as the HPA does during the CPU
 * initialization period. `ready`: counted.
 */
export type ReplicaState = 'ready' | 'unready' | 'pending';

export interface ReplicaSample {
  state: ReplicaState;
  /** CPU use in % of the replica's request (or of one core where there is no request). */
  cpu?: number;
  /** Memory use in % of the replica's request (or limit). */
  memory?: number;
  /** Requests per second this replica served. */
  requestRate?: number;
}

/** BullMQ job counts of the target's queue. */
export interface QueueCounts {
  waiting: number;
  prioritized: number;
  /** Delayed jobs whose time has come: they are work waiting for a worker, not future work. */
  delayedDue: number;
  active: number;
}

export interface Observation {
  /** The replica count last set on the target (the HPA's scale.spec.replicas). */
  currentReplicas: number;
  /** Every replica that exists now, ready or not (the HPA's pods, scale.status.replicas). */
  replicas: ReplicaSample[];
  /** p95 request latency of the target over the last window, in ms. */
  latencyP95Ms?: number;
  queue?: QueueCounts;
  /** Metric reads that failed this time, with what went wrong. */
  failures?: Partial<Record<MetricKind, string>>;
}
