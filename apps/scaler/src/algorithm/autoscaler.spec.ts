import { decide, initialScalerState, type ScalerState } from './autoscaler';
import type { Observation, QueueCounts, ReplicaSample } from './observation';
import { queueDepth, redisListScalerDepth } from './queue-depth';
import { parseTargetConfig, type TargetConfig, type TargetConfigInput } from './target-config';

const S = 1000;

function target(overrides: Partial<TargetConfigInput> = {}): TargetConfig {
  return parseTargetConfig({
    name: 'api',
    backend: 'dry-run',
    resource: 'api',
    minReplicas: 1,
    maxReplicas: 20,
    metrics: [{ kind: 'cpu', target: 50 }],
    ...overrides,
  });
}

function ready(count: number, sample: Omit<ReplicaSample, 'state'>): ReplicaSample[] {
  return Array.from({ length: count }, () => ({ state: 'ready', ...sample }));
}

function observe(currentReplicas: number, replicas: ReplicaSample[], extra: Partial<Observation> = {}): Observation {
  return { currentReplicas, replicas, ...extra };
}

const queue = (jobs: number): QueueCounts => ({ waiting: jobs, prioritized: 0, delayedDue: 0, active: 0 });

/** Feeds a series of observations to `decide`, applying every decision, and returns the decisions. */
function replay(config: TargetConfig, steps: Array<[seconds: number, observation: Observation]>) {
  let state: ScalerState = initialScalerState();
  return steps.map(([seconds, observation]) => {
    const result = decide(config, observation, state, seconds * S);
    state = result.state;
    return result.decision;
  });
}

describe('several metrics', () => {
  it('take the highest proposal', () => {
    const config = target({ metrics: [{ kind: 'cpu', target: 50 }, { kind: 'requestRate', target: 100 }] });
    const { decision } = decide(config, observe(2, ready(2, { cpu: 100, requestRate: 300 })), initialScalerState(), 0);
    expect(decision.metrics.map((metric) => metric.replicas)).toEqual([4, 6]);
    expect(decision).toMatchObject({ recommendation: 6, desiredReplicas: 6, reason: 'DesiredWithinRange' });
  });

  it('a failed metric blocks a scale-down', () => {
    const config = target({ metrics: [{ kind: 'cpu', target: 50 }, { kind: 'requestRate', target: 100 }] });
    const observation = observe(4, ready(4, { cpu: 5 }), { failures: { requestRate: 'collector timed out' } });
    const { decision } = decide(config, observation, initialScalerState(), 0);
    expect(decision).toMatchObject({ desiredReplicas: 4, reason: 'FailedComputeMetricsReplicas' });
    expect(decision.metrics[1]).toMatchObject({ kind: 'requestRate', error: 'collector timed out', consecutiveFailures: 1 });
  });

  it('a failed metric does not block a scale-up', () => {
    const config = target({ metrics: [{ kind: 'cpu', target: 50 }, { kind: 'requestRate', target: 100 }] });
    const observation = observe(4, ready(4, { cpu: 100 }), { failures: { requestRate: 'collector timed out' } });
    expect(decide(config, observation, initialScalerState(), 0).decision).toMatchObject({
      desiredReplicas: 8,
      reason: 'DesiredWithinRange',
    });
  });

  it('nothing changes when every metric fails', () => {
    const observation = observe(4, ready(4, {}), { failures: { cpu: 'metrics API unavailable' } });
    expect(decide(target(), observation, initialScalerState(), 0).decision).toMatchObject({
      desiredReplicas: 4,
      reason: 'FailedComputeMetricsReplicas',
    });
  });
});

describe('HPA decisions over time', () => {
  it('the first sync records the current count, so no scale-down happens in the first 300 s', () => {
    const steps = Array.from({ length: 23 }, (_, index): [number, Observation] => [
      index * 15,
      observe(4, ready(4, { cpu: 10 })),
    ]);
    const decisions = replay(target(), steps);
    expect(decisions.slice(0, 20).map((decision) => decision.reason)).toEqual(Array(20).fill('ScaleDownStabilized'));
    expect(decisions[20]).toMatchObject({ desiredReplicas: 1, reason: 'DesiredWithinRange' });
  });

  it('the rate limit applies across syncs, from the count at the start of the period', () => {
    const config = target({ maxReplicas: 100 });
    // 2 replicas at 250 % of 50 %: each wants 10; default +4 pods or +100 % per 15 s.
    const decisions = replay(config, [
      [0, observe(2, ready(2, { cpu: 250 }))],
      [5, observe(6, [...ready(2, { cpu: 250 }), ...Array(4).fill({ state: 'pending' })])],
      [15, observe(6, ready(6, { cpu: 250 }))],
    ]);
    expect(decisions.map((decision) => [decision.desiredReplicas, decision.reason])).toEqual([
      [6, 'ScaleUpLimit'],
      [6, 'ScaleUpLimit'],
      [12, 'ScaleUpLimit'],
    ]);
  });

  it.each`
    case                                            | current | cpu    | min  | max   | desired | reason
    ${'above maxReplicas: brought down to it'}      | ${25}   | ${5}   | ${1} | ${20} | ${20}   | ${'AboveMaxReplicas'}
    ${'below minReplicas: brought up to it'}        | ${1}    | ${5}   | ${3} | ${20} | ${3}    | ${'BelowMinReplicas'}
    ${'at zero with minReplicas 2: brought to 2'}   | ${0}    | ${5}   | ${2} | ${20} | ${2}    | ${'BelowMinReplicas'}
    ${'metrics above max: TooManyReplicas'}         | ${10}   | ${100} | ${1} | ${12} | ${12}   | ${'TooManyReplicas'}
    ${'metrics below min: TooFewReplicas'}          | ${10}   | ${5}   | ${8} | ${20} | ${8}    | ${'TooFewReplicas'}
  `('$case', ({ current, cpu, min, max, desired, reason }) => {
    const config = target({ minReplicas: min, maxReplicas: max });
    // A history recorded long ago, so that stabilization does not hold the scale-down.
    const state: ScalerState = {
      ...initialScalerState(),
      hpa: { recommendations: [{ replicas: current, at: 0 }], scaleUpEvents: [], scaleDownEvents: [] },
    };
    const { decision } = decide(config, observe(current, ready(current, { cpu })), state, 3600 * S);
    expect(decision).toMatchObject({ desiredReplicas: desired, reason });
  });

  it('separate tolerances up and down come from the behavior', () => {
    const config = target({ behavior: { scaleUp: { tolerance: 0 } } });
    const { decision } = decide(config, observe(10, ready(10, { cpu: 51 })), initialScalerState(), 0);
    expect(decision.desiredReplicas).toBe(11);
    const withDefault = decide(target(), observe(10, ready(10, { cpu: 51 })), initialScalerState(), 0);
    expect(withDefault.decision.desiredReplicas).toBe(10);
  });

  it('remembers the scale event only in the state for an applied decision', () => {
    const result = decide(target(), observe(2, ready(2, { cpu: 100 })), initialScalerState(), 0);
    expect(result.decision.desiredReplicas).toBe(4);
    expect(result.state.hpa.scaleUpEvents).toEqual([{ change: 2, at: 0, outdated: false }]);
    expect(result.stateIfNotApplied.hpa.scaleUpEvents).toEqual([]);
    expect(result.stateIfNotApplied.hpa.recommendations).toEqual(result.state.hpa.recommendations);
  });
});

describe('queue depth', () => {
  const counts: QueueCounts = { waiting: 10, prioritized: 5, delayedDue: 3, active: 2 };

  it('sums waiting, prioritized, due delayed and active jobs; the Redis list scaler sees the wait list only', () => {
    expect(queueDepth(counts)).toBe(20);
    expect(redisListScalerDepth(counts)).toBe(10);
  });

  it('asks ceil(depth / target per replica) replicas', () => {
    const config = target({ metrics: [{ kind: 'queueDepth', target: 5 }] });
    const { decision } = decide(config, observe(2, ready(2, {}), { queue: counts }), initialScalerState(), 0);
    expect(decision).toMatchObject({ recommendation: 4, desiredReplicas: 4 });
    expect(decision.metrics[0]).toMatchObject({ kind: 'queueDepth', value: 20 });
  });
});

describe('activation and scale to zero (KEDA)', () => {
  const config = target({
    minReplicas: 0,
    metrics: [{ kind: 'queueDepth', target: 5, activation: 2 }],
    cooldownSeconds: 60,
  });

  it('wakes from zero only above the activation threshold, and sleeps after the cooldown', () => {
    const decisions = replay(config, [
      [0, observe(0, [], { queue: queue(2) })],
      [15, observe(0, [], { queue: queue(3) })],
      [30, observe(1, ready(1, {}), { queue: queue(0) })],
      [75, observe(1, ready(1, {}), { queue: queue(0) })],
      [76, observe(1, ready(1, {}), { queue: queue(0) })],
      [90, observe(0, [], { queue: queue(0) })],
    ]);
    expect(decisions.map((decision) => [decision.desiredReplicas, decision.reason])).toEqual([
      [0, 'IdleAtZero'],
      [1, 'ScaledFromZero'],
      [1, 'ScaleDownStabilized'], // the HPA, with a minimum of 1, runs while the cooldown does
      [1, 'ScaleDownStabilized'], // 15 + 60 s is not yet past
      [0, 'ScaledToZero'],
      [0, 'IdleAtZero'],
    ]);
  });

  it('activity keeps the target awake and restarts the cooldown', () => {
    const decisions = replay(config, [
      [0, observe(1, ready(1, {}), { queue: queue(3) })],
      [50, observe(1, ready(1, {}), { queue: queue(0) })],
      [100, observe(1, ready(1, {}), { queue: queue(0) })],
    ]);
    expect(decisions.map((decision) => decision.reason)).toEqual(['DesiredWithinRange', 'ScaleDownStabilized', 'ScaledToZero']);
  });

  it('with no activity ever seen, scales to zero at once (KEDA has no lastActiveTime)', () => {
    const { decision } = decide(config, observe(1, ready(1, {}), { queue: queue(0) }), initialScalerState(), 0);
    expect(decision).toMatchObject({ desiredReplicas: 0, reason: 'ScaledToZero' });
  });

  it('a failed queue read never scales to zero', () => {
    const { decision } = decide(config, observe(1, ready(1, {}), { failures: { queueDepth: 'redis down' } }), initialScalerState(), 0);
    expect(decision).toMatchObject({ desiredReplicas: 1, reason: 'FailedComputeMetricsReplicas' });
  });
});

describe('fallback (KEDA)', () => {
  const config = target({
    metrics: [{ kind: 'queueDepth', target: 5 }],
    fallback: { failureThreshold: 2, replicas: 6 },
  });

  it('scales to the fallback count once the failures in a row pass the threshold, and resets on success', () => {
    const failing = (): Observation => observe(2, ready(2, {}), { failures: { queueDepth: 'redis down' } });
    const decisions = replay(config, [
      [0, failing()],
      [15, failing()],
      [30, failing()],
      [45, observe(6, ready(6, {}), { queue: queue(30) })],
    ]);
    expect(decisions.map((decision) => [decision.desiredReplicas, decision.reason])).toEqual([
      [2, 'FailedComputeMetricsReplicas'],
      [2, 'FailedComputeMetricsReplicas'],
      [6, 'Fallback'],
      [6, 'DesiredWithinRange'],
    ]);
    expect(decisions.map((decision) => decision.metrics[0].consecutiveFailures)).toEqual([1, 2, 3, 0]);
  });

  it('also wakes a target at zero', () => {
    const zeroConfig = target({
      minReplicas: 0,
      metrics: [{ kind: 'queueDepth', target: 5 }],
      fallback: { failureThreshold: 0, replicas: 3 },
    });
    const observation = observe(0, [], { failures: { queueDepth: 'redis down' } });
    expect(decide(zeroConfig, observation, initialScalerState(), 0).decision).toMatchObject({
      desiredReplicas: 3,
      reason: 'Fallback',
    });
  });
});

describe('the seed threshold loop as a policy', () => {
  const config = target({ policy: 'threshold', minReplicas: 2, maxReplicas: 10, metrics: [] });

  it.each`
    case                                      | current | cpu   | memory | desired | reason
    ${'cpu above 70 %: +2'}                   | ${4}    | ${71} | ${50}  | ${6}    | ${'ThresholdScaleUp'}
    ${'memory above 80 %: +2'}                | ${4}    | ${50} | ${81}  | ${6}    | ${'ThresholdScaleUp'}
    ${'exactly 70 % cpu: holds'}              | ${4}    | ${70} | ${50}  | ${4}    | ${'ThresholdHold'}
    ${'cpu and memory low: -1'}               | ${4}    | ${29} | ${39}  | ${3}    | ${'ThresholdScaleDown'}
    ${'cpu low, memory not: holds'}           | ${4}    | ${29} | ${45}  | ${4}    | ${'ThresholdHold'}
    ${'+2 capped at max'}                     | ${9}    | ${90} | ${50}  | ${10}   | ${'ThresholdScaleUp'}
    ${'at max: TooManyReplicas'}              | ${10}   | ${90} | ${50}  | ${10}   | ${'TooManyReplicas'}
    ${'at min: TooFewReplicas'}               | ${2}    | ${5}  | ${5}   | ${2}    | ${'TooFewReplicas'}
  `('$case', ({ current, cpu, memory, desired, reason }) => {
    const { decision } = decide(config, observe(current, ready(current, { cpu, memory })), initialScalerState(), 0);
    expect(decision).toMatchObject({ desiredReplicas: desired, reason });
  });

  it('looks once every 60 s', () => {
    const hot = (current: number): Observation => observe(current, ready(current, { cpu: 90, memory: 50 }));
    const decisions = replay(config, [
      [0, hot(2)],
      [15, hot(4)],
      [59, hot(4)],
      [60, hot(4)],
    ]);
    expect(decisions.map((decision) => [decision.desiredReplicas, decision.reason])).toEqual([
      [4, 'ThresholdScaleUp'],
      [4, 'ThresholdWaiting'],
      [4, 'ThresholdWaiting'],
      [6, 'ThresholdScaleUp'],
    ]);
  });
});
