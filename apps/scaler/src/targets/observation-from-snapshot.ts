import type { ScalingSnapshot } from '@formscale/contracts';
import type { Observation, ReplicaSample } from '../algorithm';
import type { ScalerTarget } from './scaler-targets';

/**
 * What the algorithm sees of a target from one snapshot. The collector sends
 * each service's average CPU and memory and its total request rate, so every
 * instance it heard from counts as one ready replica carrying an equal share:
 * the HPA's mean over pods gives the same answer. Missing figures become
 * failures, which the algorithm turns into "do not scale down blind".
 */
export function observationFromSnapshot(target: ScalerTarget, snapshot: ScalingSnapshot, currentReplicas: number): Observation {
  const failures: NonNullable<Observation['failures']> = {};
  const figures = snapshot.services[target.service];
  let replicas: ReplicaSample[] = [];
  if (figures === undefined || figures.instances === 0) {
    const why = `the snapshot has no instance of ${target.service}`;
    for (const kind of ['cpu', 'memory', 'requestRate', 'latencyP95'] as const) failures[kind] = why;
  } else {
    const share: ReplicaSample = {
      state: 'ready',
      cpu: figures.cpu,
      memory: figures.memory,
      requestRate: figures.requestRate / figures.instances,
    };
    replicas = Array.from({ length: figures.instances }, () => ({ ...share }));
  }
  const queueFigures = target.queue === undefined ? undefined : snapshot.queues[target.queue];
  if (target.queue !== undefined && queueFigures === undefined) failures.queueDepth = `the snapshot has no queue ${target.queue}`;
  const p95 = figures?.p95;
  if (figures !== undefined && (p95 === null || p95 === undefined)) failures.latencyP95 ??= 'no request in the window, so no p95';
  return {
    currentReplicas,
    replicas,
    latencyP95Ms: p95 === null || p95 === undefined ? undefined : p95 * 1000,
    queue:
      queueFigures === undefined
        ? undefined
        : {
            waiting: queueFigures.waiting,
            prioritized: queueFigures.prioritized,
            // The snapshot does not tell due delayed jobs from future ones: counting none keeps retries' backoff from adding workers.
            delayedDue: 0,
            active: queueFigures.active,
          },
    failures: Object.keys(failures).length === 0 ? undefined : failures,
  };
}
