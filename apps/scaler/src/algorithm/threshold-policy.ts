import type { ThresholdSettings } from './target-config';

/**
 * The seed's scaling loop, as a policy to measure the HPA against: every
 * interval, add `stepUp` replicas when CPU or memory is above its high mark,
 * remove `stepDown` when both are below their low marks, always within min/max.
 * It has no tolerance, no stabilization and no notion of replicas that are
 * still starting.
 */

export type ThresholdReason =
  | 'ThresholdScaleUp'
  | 'ThresholdScaleDown'
  | 'ThresholdHold'
  | 'ThresholdWaiting'
  | 'TooManyReplicas'
  | 'TooFewReplicas';

export interface ThresholdInput {
  settings: ThresholdSettings;
  minReplicas: number;
  maxReplicas: number;
  currentReplicas: number;
  /** Mean CPU % of the running replicas. */
  cpu: number;
  /** Mean memory % of the running replicas. */
  memory: number;
  /** When the loop last looked, in ms; undefined before its first look. */
  lastCheckAt: number | undefined;
  now: number;
}

export interface ThresholdResult {
  replicas: number;
  reason: ThresholdReason;
  message: string;
  /** When the loop looked: `now` if it did, else the earlier time. */
  checkedAt: number | undefined;
}

/** `currentReplicas` is within min/max: the caller clamps a count outside them first. */
export function thresholdDecision(input: ThresholdInput): ThresholdResult {
  const { settings, minReplicas, maxReplicas, currentReplicas, cpu, memory, lastCheckAt, now } = input;
  if (lastCheckAt !== undefined && now - lastCheckAt < settings.intervalSeconds * 1000) {
    return {
      replicas: currentReplicas,
      reason: 'ThresholdWaiting',
      message: `the threshold loop looks every ${settings.intervalSeconds} s`,
      checkedAt: lastCheckAt,
    };
  }
  const levels = `cpu ${round1(cpu)} %, memory ${round1(memory)} %`;
  if (cpu > settings.scaleUpCpu || memory > settings.scaleUpMemory) {
    const replicas = Math.min(currentReplicas + settings.stepUp, maxReplicas);
    if (replicas <= currentReplicas) {
      return { replicas: maxReplicas, reason: 'TooManyReplicas', message: `${levels}: already at maxReplicas`, checkedAt: now };
    }
    return {
      replicas,
      reason: 'ThresholdScaleUp',
      message: `${levels} above ${settings.scaleUpCpu} % cpu or ${settings.scaleUpMemory} % memory`,
      checkedAt: now,
    };
  }
  if (cpu < settings.scaleDownCpu && memory < settings.scaleDownMemory) {
    const replicas = Math.max(currentReplicas - settings.stepDown, minReplicas);
    if (replicas >= currentReplicas) {
      return { replicas: minReplicas, reason: 'TooFewReplicas', message: `${levels}: already at minReplicas`, checkedAt: now };
    }
    return {
      replicas,
      reason: 'ThresholdScaleDown',
      message: `${levels} below ${settings.scaleDownCpu} % cpu and ${settings.scaleDownMemory} % memory`,
      checkedAt: now,
    };
  }
  return {
    replicas: currentReplicas,
    reason: 'ThresholdHold',
    message: `${levels} between the marks`,
    checkedAt: now,
  };
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
