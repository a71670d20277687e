import {
  emptyHpaHistory,
  limitByBehaviorRate,
  normalizeDesiredReplicas,
  recordScaleEvent,
  stabilizeRecommendation,
  type HpaHistory,
} from './hpa-behavior';
import { resolveBehavior, type BehaviorInput } from './target-config';

const S = 1000;

/** Runs the controller's loop: every sync, normalize the same wish and apply the result. */
function run(
  behaviorInput: BehaviorInput,
  start: number,
  desired: number,
  syncs: number[],
  limits = { min: 1, max: 1000 },
): number[] {
  const behavior = resolveBehavior(behaviorInput);
  let history: HpaHistory = emptyHpaHistory();
  let current = start;
  const counts: number[] = [];
  for (const at of syncs) {
    const result = normalizeDesiredReplicas(history, behavior, current, desired, limits.min, limits.max, at * S);
    history = result.history;
    if (result.replicas !== current) {
      history = recordScaleEvent(history, behavior, current, result.replicas, at * S);
      current = result.replicas;
    }
    counts.push(current);
  }
  return counts;
}

const every15s = (until: number): number[] => Array.from({ length: until / 15 + 1 }, (_, index) => index * 15);

describe('rate policies, measured from the count at the start of each period', () => {
  it('docs: 80 replicas, scale-down Percent 10 % per 60 s -> 72, then 64 (64.8 truncated), 57, 51', () => {
    const behavior: BehaviorInput = {
      scaleDown: { stabilizationWindowSeconds: 0, policies: [{ type: 'Percent', value: 10, periodSeconds: 60 }] },
    };
    expect(run(behavior, 80, 10, every15s(180))).toEqual([72, 72, 72, 72, 64, 64, 64, 64, 57, 57, 57, 57, 51]);
  });

  it('default scale-up: +4 pods or +100 % per 15 s, whichever is more; nothing more inside the period', () => {
    expect(run({}, 1, 40, [0, 5, 10, 15, 30, 45])).toEqual([5, 5, 5, 10, 20, 40]);
  });

  it('without behavior the scale-up default still applies (Kubernetes fills in the defaults)', () => {
    expect(run({}, 10, 100, [0])).toEqual([20]);
  });

  it.each`
    case                                                             | selectPolicy | current | expected
    ${'Max: at 80 replicas 10 % (8 pods) is more than 4 pods'}       | ${'Max'}     | ${80}   | ${72}
    ${'Max: at 30 replicas 4 pods is more than 10 % (3 pods)'}       | ${'Max'}     | ${30}   | ${26}
    ${'Min: at 80 replicas 4 pods is less than 10 %'}                | ${'Min'}     | ${80}   | ${76}
    ${'Min: at 30 replicas 10 % (27 stay) is less than 4 pods'}      | ${'Min'}     | ${30}   | ${27}
    ${'Disabled: no scale-down at all'}                              | ${'Disabled'} | ${30}  | ${30}
  `('docs, scale-down Pods 4 and Percent 10 per 60 s, $case', ({ selectPolicy, current, expected }) => {
    const behavior: BehaviorInput = {
      scaleDown: {
        stabilizationWindowSeconds: 0,
        selectPolicy,
        policies: [
          { type: 'Pods', value: 4, periodSeconds: 60 },
          { type: 'Percent', value: 10, periodSeconds: 60 },
        ],
      },
    };
    expect(run(behavior, current, 1, [0])).toEqual([expected]);
  });

  it.each`
    case                                                      | scaleUp                                                                                                              | current | expected
    ${'docs: Percent 900 lets 3 replicas become 30'}          | ${{ policies: [{ type: 'Percent', value: 900, periodSeconds: 60 }] }}                                                  | ${3}    | ${30}
    ${'Percent is rounded up: 10 % of 3 still adds one'}      | ${{ policies: [{ type: 'Percent', value: 10, periodSeconds: 60 }] }}                                                   | ${3}    | ${4}
    ${'Min picks the smaller of +4 pods and +100 %'}          | ${{ selectPolicy: 'Min' }}                                                                                            | ${10}   | ${14}
    ${'Max picks the larger of +4 pods and +100 %'}           | ${{ selectPolicy: 'Max' }}                                                                                            | ${10}   | ${20}
    ${'Disabled: no scale-up at all'}                         | ${{ selectPolicy: 'Disabled' }}                                                                                       | ${10}   | ${10}
  `('scale-up, $case', ({ scaleUp, current, expected }) => {
    expect(run({ scaleUp }, current, 100, [0])).toEqual([expected]);
  });

  it('counts both directions: a scale-up inside the period raises the start of a scale-down period', () => {
    const behavior = resolveBehavior({
      scaleDown: { stabilizationWindowSeconds: 0, policies: [{ type: 'Percent', value: 50, periodSeconds: 60 }] },
    });
    // 10 -> 14 at t = 0; at t = 10 s the scale-down period started at 14 - 4 = 10 replicas: 50 % of 10 may go.
    const history = recordScaleEvent(emptyHpaHistory(), behavior, 10, 14, 0);
    expect(limitByBehaviorRate(history, behavior, 14, 1, 1, 100, 10 * S)).toEqual({ replicas: 5, reason: 'ScaleDownLimit' });
  });

  it('reuses the slot of an event older than the longest period, as the controller does', () => {
    const behavior = resolveBehavior({ scaleUp: { policies: [{ type: 'Pods', value: 4, periodSeconds: 60 }] } });
    let history = recordScaleEvent(emptyHpaHistory(), behavior, 1, 5, 0);
    history = recordScaleEvent(history, behavior, 5, 9, 30 * S);
    history = recordScaleEvent(history, behavior, 9, 13, 90 * S);
    expect(history.scaleUpEvents).toEqual([
      { change: 4, at: 90 * S, outdated: false },
      { change: 4, at: 30 * S, outdated: false },
    ]);
  });
});

describe('min/max and the reasons of the limits', () => {
  const defaults = resolveBehavior(undefined);
  const podsDown = resolveBehavior({ scaleDown: { policies: [{ type: 'Pods', value: 2, periodSeconds: 60 }] } });
  const disabled = resolveBehavior({ scaleUp: { selectPolicy: 'Disabled' }, scaleDown: { selectPolicy: 'Disabled' } });

  it.each`
    case                                                       | behavior    | current | desired | min  | max   | replicas | reason
    ${'rate limit below max: ScaleUpLimit'}                    | ${defaults} | ${10}   | ${50}   | ${1} | ${30} | ${20}    | ${'ScaleUpLimit'}
    ${'max below the rate limit: TooManyReplicas'}             | ${defaults} | ${10}   | ${50}   | ${1} | ${15} | ${15}    | ${'TooManyReplicas'}
    ${'max equal to the rate limit: TooManyReplicas'}          | ${defaults} | ${10}   | ${50}   | ${1} | ${20} | ${20}    | ${'TooManyReplicas'}
    ${'min above the rate limit: TooFewReplicas'}              | ${defaults} | ${10}   | ${1}    | ${3} | ${30} | ${3}     | ${'TooFewReplicas'}
    ${'rate limit above min: ScaleDownLimit'}                  | ${podsDown} | ${10}   | ${1}    | ${3} | ${30} | ${8}     | ${'ScaleDownLimit'}
    ${'within the limits: DesiredWithinRange'}                 | ${defaults} | ${10}   | ${12}   | ${1} | ${30} | ${12}    | ${'DesiredWithinRange'}
    ${'no change: DesiredWithinRange'}                         | ${defaults} | ${10}   | ${10}   | ${1} | ${30} | ${10}    | ${'DesiredWithinRange'}
    ${'Disabled up: held at current, ScaleUpLimit'}            | ${disabled} | ${10}   | ${20}   | ${1} | ${30} | ${10}    | ${'ScaleUpLimit'}
    ${'Disabled down: held at current, ScaleDownLimit'}        | ${disabled} | ${10}   | ${2}    | ${1} | ${30} | ${10}    | ${'ScaleDownLimit'}
  `('$case', ({ behavior, current, desired, min, max, replicas, reason }) => {
    expect(limitByBehaviorRate(emptyHpaHistory(), behavior, current, desired, min, max, 0)).toEqual({ replicas, reason });
  });
});

describe('stabilization windows', () => {
  const history = (...samples: Array<[number, number]>): HpaHistory => ({
    ...emptyHpaHistory(),
    recommendations: samples.map(([replicas, at]) => ({ replicas, at: at * S })),
  });

  it.each`
    case                                                           | now    | expected | reason
    ${'inside 300 s the highest recent recommendation wins'}       | ${200} | ${10}    | ${'ScaleDownStabilized'}
    ${'the sample at t=0 leaves the window after 300 s'}           | ${301} | ${8}     | ${'ScaleDownStabilized'}
    ${'a sample exactly at the cutoff no longer counts'}           | ${360} | ${6}     | ${'ScaleDownStabilized'}
    ${'all samples gone: the new recommendation applies'}          | ${421} | ${4}     | ${'ReadyForNewScale'}
  `('scale-down (default 300 s): $case', ({ now, expected, reason }) => {
    const past = history([10, 0], [8, 60], [6, 120]);
    const result = stabilizeRecommendation(past, resolveBehavior(undefined), 10, 4, now * S);
    expect({ replicas: result.replicas, reason: result.reason }).toEqual({ replicas: expected, reason });
  });

  it('scale-up (60 s window) takes the lowest recent recommendation', () => {
    const behavior = resolveBehavior({ scaleUp: { stabilizationWindowSeconds: 60 } });
    const result = stabilizeRecommendation(history([3, 0], [8, 30]), behavior, 2, 10, 45 * S);
    expect({ replicas: result.replicas, reason: result.reason }).toEqual({ replicas: 3, reason: 'ScaleUpStabilized' });
  });

  it('never goes below the current count while scaling up', () => {
    // The lowest recent sample (2) is below current (4): stabilization holds at 4 instead of following it down.
    const behavior = resolveBehavior({ scaleUp: { stabilizationWindowSeconds: 60 } });
    const result = stabilizeRecommendation(history([2, 10]), behavior, 4, 6, 30 * S);
    expect({ replicas: result.replicas, reason: result.reason }).toEqual({ replicas: 4, reason: 'ScaleUpStabilized' });
  });

  it('records the new recommendation in the slot of a sample both windows have left', () => {
    const result = stabilizeRecommendation(history([10, 0], [8, 400]), resolveBehavior(undefined), 8, 7, 500 * S);
    expect(result.history.recommendations).toEqual([
      { replicas: 7, at: 500 * S },
      { replicas: 8, at: 400 * S },
    ]);
  });

  it('default behavior: after a drop in load the count holds for 300 s, then follows', () => {
    const behavior = resolveBehavior(undefined);
    let past = history([10, 0]);
    let current = 10;
    const applied: number[] = [];
    for (const at of every15s(330)) {
      const result = normalizeDesiredReplicas(past, behavior, current, 2, 1, 20, at * S);
      past = result.history;
      current = result.replicas;
      applied.push(current);
    }
    // t = 0 .. 285 s: the 10 recorded at t = 0 is inside the window; at t = 300 s it is exactly at the cutoff.
    expect(applied.slice(0, 20)).toEqual(Array(20).fill(10));
    expect(applied.slice(20)).toEqual([2, 2, 2]);
  });
});
