import type { QueueCounts } from './observation';

/**
 * The backlog a worker fleet has to get through: jobs waiting, prioritized
 * jobs (BullMQ keeps them in a separate sorted set), delayed jobs already due
 * (they move to wait at the next check, so they are work now) and jobs being
 * processed (each holds a worker).
 */
export function queueDepth(counts: QueueCounts): number {
  return counts.waiting + counts.prioritized + counts.delayedDue + counts.active;
}

/**
 * What KEDA's Redis list scaler would see of the same queue: LLEN of the wait
 * list only. It misses prioritized, due-delayed and active jobs, so it scales
 * a BullMQ worker down while the workers are still busy.
 */
export function redisListScalerDepth(counts: QueueCounts): number {
  return counts.waiting;
}
