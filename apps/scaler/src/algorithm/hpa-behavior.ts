import type { Behavior, ScalingRules } from './target-config';

/**
 * The HPA controller's normalization with behaviors (pkg/controller/podautoscaler/horizontal.go:
 * normalizeDesiredReplicasWithBehaviors): stabilize the recommendation over
 * its window, then limit the change by the rate policies, measured from the
 * replica count at the start of each policy's period, then clamp to min/max.
 * The history the controller keeps in memory is explicit here: every function
 * takes it and returns a new one, and time is the `now` given, in ms.
 */

export interface TimestampedRecommendation {
  replicas: number;
  at: number;
}

export interface ScaleEvent {
  /** Replicas added (in the up list) or removed (in the down list): never negative. */
  change: number;
  at: number;
  /** Older than the direction's longest policy period: its slot may be reused. */
  outdated: boolean;
}

export interface HpaHistory {
  recommendations: TimestampedRecommendation[];
  scaleUpEvents: ScaleEvent[];
  scaleDownEvents: ScaleEvent[];
}

export function emptyHpaHistory(): HpaHistory {
  return { recommendations: [], scaleUpEvents: [], scaleDownEvents: [] };
}

export type StabilizationReason = 'ScaleUpStabilized' | 'ScaleDownStabilized' | 'ReadyForNewScale';
export type LimitReason = 'ScaleUpLimit' | 'ScaleDownLimit' | 'TooManyReplicas' | 'TooFewReplicas' | 'DesiredWithinRange';

export const LIMIT_MESSAGES: Record<LimitReason, string> = {
  ScaleUpLimit: 'the desired replica count is increasing faster than the maximum scale rate',
  ScaleDownLimit: 'the desired replica count is decreasing faster than the maximum scale rate',
  TooManyReplicas: 'the desired replica count is more than the maximum replica count',
  TooFewReplicas: 'the desired replica count is less than the minimum replica count',
  DesiredWithinRange: 'the desired count is within the acceptable range',
};

export const STABILIZATION_MESSAGES: Record<StabilizationReason, string> = {
  ScaleUpStabilized: 'recent recommendations were lower than current one, applying the lowest recent recommendation',
  ScaleDownStabilized: 'recent recommendations were higher than current one, applying the highest recent recommendation',
  ReadyForNewScale: 'recommended size matches current size',
};

/** recordInitialRecommendation(): the first time a target is seen, its current count is a recommendation. */
export function recordInitialRecommendation(history: HpaHistory, currentReplicas: number, now: number): HpaHistory {
  if (history.recommendations.length > 0) {
    return history;
  }
  return { ...history, recommendations: [{ replicas: currentReplicas, at: now }] };
}

export interface Stabilized {
  replicas: number;
  reason: StabilizationReason;
  history: HpaHistory;
}

/**
 * stabilizeRecommendationWithBehaviors(): scale-up takes the lowest
 * recommendation of its window, scale-down the highest of its window, and the
 * result never passes the current count in the other direction. The new
 * recommendation is recorded (in the slot of one that both windows have left).
 */
export function stabilizeRecommendation(
  history: HpaHistory,
  behavior: Behavior,
  currentReplicas: number,
  desiredReplicas: number,
  now: number,
): Stabilized {
  const upCutoff = now - behavior.scaleUp.stabilizationWindowSeconds * 1000;
  const downCutoff = now - behavior.scaleDown.stabilizationWindowSeconds * 1000;
  let upRecommendation = desiredReplicas;
  let downRecommendation = desiredReplicas;
  let oldSampleIndex = -1;
  history.recommendations.forEach((rec, index) => {
    // Go's time.After / time.Before are strict: a sample exactly at a cutoff counts for neither.
    if (rec.at > upCutoff) {
      upRecommendation = Math.min(rec.replicas, upRecommendation);
    }
    if (rec.at > downCutoff) {
      downRecommendation = Math.max(rec.replicas, downRecommendation);
    }
    if (rec.at < upCutoff && rec.at < downCutoff) {
      oldSampleIndex = index;
    }
  });

  let replicas = currentReplicas;
  if (replicas < upRecommendation) {
    replicas = upRecommendation;
  }
  if (replicas > downRecommendation) {
    replicas = downRecommendation;
  }

  const recommendations = [...history.recommendations];
  const sample = { replicas: desiredReplicas, at: now };
  if (oldSampleIndex >= 0) {
    recommendations[oldSampleIndex] = sample;
  } else {
    recommendations.push(sample);
  }

  let reason: StabilizationReason = 'ReadyForNewScale';
  if (replicas !== desiredReplicas) {
    reason = desiredReplicas >= currentReplicas ? 'ScaleUpStabilized' : 'ScaleDownStabilized';
  }
  return { replicas, reason, history: { ...history, recommendations } };
}

/** getReplicasChangePerPeriod(): the replicas changed by events strictly inside the last period. */
function changeInPeriod(periodSeconds: number, events: ScaleEvent[], now: number): number {
  const cutoff = now - periodSeconds * 1000;
  return events.reduce((total, event) => (event.at > cutoff ? total + event.change : total), 0);
}

/** calculateScaleUpLimitWithScalingRules(): the highest count the scale-up policies allow now. */
export function scaleUpLimit(currentReplicas: number, history: HpaHistory, rules: ScalingRules, now: number): number {
  if (rules.selectPolicy === 'Disabled') {
    return currentReplicas;
  }
  // For scaling up, Max picks the policy allowing the biggest change, Min the smallest.
  const pick = rules.selectPolicy === 'Min' ? Math.min : Math.max;
  let result = rules.selectPolicy === 'Min' ? Infinity : -Infinity;
  for (const policy of rules.policies) {
    const added = changeInPeriod(policy.periodSeconds, history.scaleUpEvents, now);
    const removed = changeInPeriod(policy.periodSeconds, history.scaleDownEvents, now);
    const periodStartReplicas = currentReplicas - added + removed;
    const proposed =
      policy.type === 'Pods'
        ? periodStartReplicas + policy.value
        : // Rounded up, or a small target could never grow by a percentage.
          Math.ceil(periodStartReplicas * (1 + policy.value / 100));
    result = pick(result, proposed);
  }
  return result;
}

/** calculateScaleDownLimitWithBehaviors(): the lowest count the scale-down policies allow now. */
export function scaleDownLimit(currentReplicas: number, history: HpaHistory, rules: ScalingRules, now: number): number {
  if (rules.selectPolicy === 'Disabled') {
    return currentReplicas;
  }
  // For scaling down, the biggest change is the lowest count: Max picks the minimum.
  const pick = rules.selectPolicy === 'Min' ? Math.max : Math.min;
  let result = rules.selectPolicy === 'Min' ? -Infinity : Infinity;
  for (const policy of rules.policies) {
    const added = changeInPeriod(policy.periodSeconds, history.scaleUpEvents, now);
    const removed = changeInPeriod(policy.periodSeconds, history.scaleDownEvents, now);
    const periodStartReplicas = currentReplicas - added + removed;
    const proposed =
      policy.type === 'Pods'
        ? periodStartReplicas - policy.value
        : // int32() truncates the count that stays, so the pods removed are rounded up.
          Math.trunc(periodStartReplicas * (1 - policy.value / 100));
    result = pick(result, proposed);
  }
  return result;
}

export interface Limited {
  replicas: number;
  reason: LimitReason;
}

/** convertDesiredReplicasWithBehaviorRate(): apply the rate limits and min/max to a stabilized count. */
export function limitByBehaviorRate(
  history: HpaHistory,
  behavior: Behavior,
  currentReplicas: number,
  desiredReplicas: number,
  minReplicas: number,
  maxReplicas: number,
  now: number,
): Limited {
  if (desiredReplicas > currentReplicas) {
    // Until older scale-up events leave their period, there is no room to grow further.
    const limit = Math.max(scaleUpLimit(currentReplicas, history, behavior.scaleUp, now), currentReplicas);
    const rateLimited = maxReplicas > limit;
    const maximumAllowed = rateLimited ? limit : maxReplicas;
    if (desiredReplicas > maximumAllowed) {
      return { replicas: maximumAllowed, reason: rateLimited ? 'ScaleUpLimit' : 'TooManyReplicas' };
    }
  } else if (desiredReplicas < currentReplicas) {
    const limit = Math.min(scaleDownLimit(currentReplicas, history, behavior.scaleDown, now), currentReplicas);
    const rateLimited = minReplicas < limit;
    const minimumAllowed = rateLimited ? limit : minReplicas;
    if (desiredReplicas < minimumAllowed) {
      return { replicas: minimumAllowed, reason: rateLimited ? 'ScaleDownLimit' : 'TooFewReplicas' };
    }
  }
  return { replicas: desiredReplicas, reason: 'DesiredWithinRange' };
}

function longestPolicyPeriod(rules: ScalingRules): number {
  return rules.policies.reduce((longest, policy) => Math.max(longest, policy.periodSeconds), 0);
}

function storeEvent(events: ScaleEvent[], change: number, longestPeriodSeconds: number, now: number): ScaleEvent[] {
  const cutoff = now - longestPeriodSeconds * 1000;
  const marked = events.map((event) => (event.at < cutoff ? { ...event, outdated: true } : event));
  const newEvent: ScaleEvent = { change, at: now, outdated: false };
  // Like markScaleEventsOutdated + storeScaleEvent: reuse the last outdated slot, else append.
  let slot = -1;
  marked.forEach((event, index) => {
    if (event.outdated) {
      slot = index;
    }
  });
  if (slot >= 0) {
    marked[slot] = newEvent;
  } else {
    marked.push(newEvent);
  }
  return marked;
}

/** storeScaleEvent(): remember a change that was applied, for the rate policies of later syncs. */
export function recordScaleEvent(
  history: HpaHistory,
  behavior: Behavior,
  previousReplicas: number,
  newReplicas: number,
  now: number,
): HpaHistory {
  if (newReplicas > previousReplicas) {
    return {
      ...history,
      scaleUpEvents: storeEvent(
        history.scaleUpEvents,
        newReplicas - previousReplicas,
        longestPolicyPeriod(behavior.scaleUp),
        now,
      ),
    };
  }
  if (newReplicas < previousReplicas) {
    return {
      ...history,
      scaleDownEvents: storeEvent(
        history.scaleDownEvents,
        previousReplicas - newReplicas,
        longestPolicyPeriod(behavior.scaleDown),
        now,
      ),
    };
  }
  return history;
}

export interface Normalized {
  replicas: number;
  stabilized: number;
  stabilizationReason: StabilizationReason;
  limitReason: LimitReason;
  history: HpaHistory;
}

/** normalizeDesiredReplicasWithBehaviors(): stabilization, then rate limits and min/max. */
export function normalizeDesiredReplicas(
  history: HpaHistory,
  behavior: Behavior,
  currentReplicas: number,
  desiredReplicas: number,
  minReplicas: number,
  maxReplicas: number,
  now: number,
): Normalized {
  const stabilized = stabilizeRecommendation(history, behavior, currentReplicas, desiredReplicas, now);
  const limited = limitByBehaviorRate(
    stabilized.history,
    behavior,
    currentReplicas,
    stabilized.replicas,
    minReplicas,
    maxReplicas,
    now,
  );
  return {
    replicas: limited.replicas,
    stabilized: stabilized.replicas,
    stabilizationReason: stabilized.reason,
    limitReason: limited.reason,
    history: stabilized.history,
  };
}
