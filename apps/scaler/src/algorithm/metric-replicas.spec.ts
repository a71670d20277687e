import {
  externalAverageValueReplicas,
  objectValueReplicas,
  podsAverageValueReplicas,
  resourceUtilizationReplicas,
  type MetricProposal,
  type Tolerances,
} from './metric-replicas';
import type { ReplicaSample, ReplicaState } from './observation';

const DEFAULT: Tolerances = { scaleUp: 0.1, scaleDown: 0.1 };

function cpu(...values: Array<number | undefined>): ReplicaSample[] {
  return values.map((value) => ({ state: 'ready', cpu: value }));
}

function withState(state: ReplicaState, count: number, sample: Omit<ReplicaSample, 'state'>): ReplicaSample[] {
  return Array.from({ length: count }, () => ({ state, ...sample }));
}

function replicasOf(proposal: MetricProposal): number {
  if (!proposal.ok) {
    throw new Error(`expected a proposal, got the error "${proposal.error}"`);
  }
  return proposal.replicas;
}

describe('resource utilization (the HPA docs and its replica calculator)', () => {
  it.each`
    case                                                          | current | values                        | target | expected
    ${'docs: 50 replicas at 90 % for a 75 % target'}              | ${50}   | ${Array(50).fill(90)}         | ${75}  | ${60}
    ${'doubling: 1 replica at 200 % of a 100 % target'}           | ${1}    | ${[200]}                      | ${100} | ${2}
    ${'ratio exactly 1.1: within the tolerance, no change'}       | ${10}   | ${Array(10).fill(110)}        | ${100} | ${10}
    ${'ratio 1.11: just over, ceil(10 x 1.11) = 12'}              | ${10}   | ${Array(10).fill(111)}        | ${100} | ${12}
    ${'ratio exactly 0.9: within the tolerance, no change'}       | ${10}   | ${Array(10).fill(90)}         | ${100} | ${10}
    ${'ratio 0.89: just under, ceil(10 x 0.89) = 9'}              | ${10}   | ${Array(10).fill(89)}         | ${100} | ${9}
    ${'utilization truncated: 110.9 % counts as 110, within'}   | ${10}   | ${Array(10).fill(110.9)}      | ${100} | ${10}
    ${'all at zero scales to ceil(0) = 0 (min/max clamp later)'}  | ${3}    | ${[0, 0, 0]}                  | ${50}  | ${0}
  `('$case', ({ current, values, target, expected }) => {
    expect(replicasOf(resourceUtilizationReplicas(current, cpu(...values), 'cpu', target, DEFAULT))).toBe(expected);
  });

  it('reports the truncated utilization and whether the tolerance held the count', () => {
    const proposal = resourceUtilizationReplicas(10, cpu(...Array(10).fill(110.5)), 'cpu', 100, DEFAULT);
    expect(proposal).toEqual({ ok: true, replicas: 10, value: 110, ratio: 1.1, withinTolerance: true });
  });

  it.each`
    case                                                   | tolerances                         | utilization | expected
    ${'scale-up tolerance 0: 101 % of 100 scales up'}      | ${{ scaleUp: 0, scaleDown: 0.05 }} | ${101}      | ${21}
    ${'scale-down tolerance 0.05: 96 % stays'}             | ${{ scaleUp: 0, scaleDown: 0.05 }} | ${96}       | ${20}
    ${'scale-down tolerance 0.05: exactly 95 % stays'}     | ${{ scaleUp: 0, scaleDown: 0.05 }} | ${95}       | ${20}
    ${'scale-down tolerance 0.05: 94 % scales down'}       | ${{ scaleUp: 0, scaleDown: 0.05 }} | ${94}       | ${19}
    ${'scale-up tolerance 0.2: 119 % stays'}               | ${{ scaleUp: 0.2, scaleDown: 0 }}  | ${119}      | ${20}
    ${'scale-down tolerance 0: 90 % scales down to 18'}    | ${{ scaleUp: 0.2, scaleDown: 0 }}  | ${90}       | ${18}
  `('$case', ({ tolerances, utilization, expected }) => {
    const values = Array(20).fill(utilization);
    expect(replicasOf(resourceUtilizationReplicas(20, cpu(...values), 'cpu', 100, tolerances))).toBe(expected);
  });

  describe('missing metrics', () => {
    it('count as 100 % of the request on a scale-down, so the target shrinks less', () => {
      // 8 replicas at 10 % of a 50 % target alone would give ceil(0.2 x 8) = 2; with 2 missing at 100 %:
      // (8 x 10 + 2 x 100) / 10 = 28 % -> ratio 0.56 -> ceil(5.6) = 6.
      const replicas = cpu(...Array(8).fill(10), undefined, undefined);
      expect(replicasOf(resourceUtilizationReplicas(10, replicas, 'cpu', 50, DEFAULT))).toBe(6);
    });

    it('count as the target when the target is above 100 %', () => {
      // 2 at 50 % of a 150 % target, 2 missing at 150 %: (100 + 300) / 4 = 100 % -> ratio 0.667 -> ceil(2.67) = 3.
      const replicas = cpu(50, 50, undefined, undefined);
      expect(replicasOf(resourceUtilizationReplicas(4, replicas, 'cpu', 150, DEFAULT))).toBe(3);
    });

    it('count as 0 % on a scale-up', () => {
      // 6 at 100 % of a 50 % target, 2 missing at 0 %: 600 / 8 = 75 % -> 1.5 -> ceil(12) = 12.
      const replicas = cpu(...Array(6).fill(100), undefined, undefined);
      expect(replicasOf(resourceUtilizationReplicas(8, replicas, 'cpu', 50, DEFAULT))).toBe(12);
    });

    it('keep the count when assuming them at 100 % turns a scale-down into a scale-up', () => {
      // 2 at 40 % of 60 % (ratio 0.67); with 2 missing at 100 %: 280 / 4 = 70 % -> ratio 1.17 > 1.
      const replicas = cpu(40, 40, undefined, undefined);
      expect(replicasOf(resourceUtilizationReplicas(4, replicas, 'cpu', 60, DEFAULT))).toBe(4);
    });

    it('keep the count when assuming them at 0 % turns a scale-up into a scale-down', () => {
      // 6 at 80 % of 60 % (ratio 1.33) would ask ceil(8) = 8 of 10; with 4 missing at 0 %: 48 % -> 0.8 < 1.
      const replicas = cpu(...Array(6).fill(80), undefined, undefined, undefined, undefined);
      expect(replicasOf(resourceUtilizationReplicas(10, replicas, 'cpu', 60, DEFAULT))).toBe(10);
    });

    it('keep the count when the adjusted ratio falls within the tolerance', () => {
      // 2 at 100 % of 50 %, 2 missing at 0 %: 200 / 4 = 50 % -> ratio 1.0.
      const replicas = cpu(100, 100, undefined, undefined);
      expect(replicasOf(resourceUtilizationReplicas(4, replicas, 'cpu', 50, DEFAULT))).toBe(4);
    });
  });

  describe('replicas that are not ready', () => {
    it('CPU: unready replicas count as 0 % on a scale-up (not at what they report)', () => {
      const replicas = [...withState('ready', 2, { cpu: 100 }), ...withState('unready', 2, { cpu: 100 })];
      // Counting them would give ceil(2 x 4) = 8; at 0 %: 200 / 4 = 50 % of 50 % -> within the tolerance.
      expect(replicasOf(resourceUtilizationReplicas(4, replicas, 'cpu', 50, DEFAULT))).toBe(4);
    });

    it('CPU: unready replicas are set aside on a scale-down', () => {
      const replicas = [...withState('ready', 2, { cpu: 10 }), ...withState('unready', 2, { cpu: 90 })];
      // Ready ones only: 10 % of 50 % -> ceil(0.2 x 2) = 1.
      expect(replicasOf(resourceUtilizationReplicas(4, replicas, 'cpu', 50, DEFAULT))).toBe(1);
    });

    it('memory: unready but running replicas count like ready ones', () => {
      const replicas = [...withState('ready', 2, { memory: 100 }), ...withState('unready', 2, { memory: 100 })];
      expect(replicasOf(resourceUtilizationReplicas(4, replicas, 'memory', 50, DEFAULT))).toBe(8);
    });

    it('pending replicas are set aside for every metric and count as 0 % on a scale-up', () => {
      const replicas = [...withState('ready', 2, { memory: 100 }), ...withState('pending', 2, {})];
      expect(replicasOf(resourceUtilizationReplicas(4, replicas, 'memory', 50, DEFAULT))).toBe(4);
    });
  });

  it.each`
    case                               | replicas                              | error
    ${'no replicas at all'}            | ${[]}                                 | ${'no replicas found'}
    ${'every replica still pending'}   | ${withState('pending', 3, {})}        | ${'no cpu values'}
    ${'no replica reports a value'}    | ${cpu(undefined, undefined)}          | ${'no cpu values'}
  `('fails with $case', ({ replicas, error }) => {
    const proposal = resourceUtilizationReplicas(3, replicas, 'cpu', 50, DEFAULT);
    expect(proposal.ok).toBe(false);
    expect(proposal.ok ? '' : proposal.error).toContain(error);
  });
});

describe('pods average value (request rate per replica)', () => {
  const rate = (...values: Array<number | undefined>): ReplicaSample[] =>
    values.map((value) => ({ state: 'ready', requestRate: value }));

  it.each`
    case                                                     | current | replicas                  | target | expected
    ${'docs: 200 per replica for a target of 100 doubles'}   | ${3}    | ${rate(200, 200, 200)}    | ${100} | ${6}
    ${'the average of 150 and 250 is 200'}                   | ${2}    | ${rate(150, 250)}         | ${100} | ${4}
    ${'within the tolerance: 105 of 100'}                    | ${4}    | ${rate(105, 105, 105, 105)} | ${100} | ${4}
    ${'missing on a scale-down counts as the target'}        | ${4}    | ${rate(20, 20, undefined, undefined)} | ${100} | ${3}
  `('$case', ({ current, replicas, target, expected }) => {
    expect(replicasOf(podsAverageValueReplicas(current, replicas, 'requestRate', target, DEFAULT))).toBe(expected);
  });

  it('averages milli-values with a truncating division, as Go does', () => {
    const proposal = podsAverageValueReplicas(3, rate(0.001, 0.001, 0.0), 'requestRate', 1, DEFAULT);
    // 2 milli / 3 = 0 milli: the HPA sees an average of 0.
    expect(proposal).toMatchObject({ ok: true, value: 0, replicas: 0 });
  });
});

describe('object value (p95 latency)', () => {
  it.each`
    case                                                | current | ready | value  | target | expected
    ${'twice the target on 2 ready of 3 -> 4'}          | ${3}    | ${2}  | ${200} | ${100} | ${4}
    ${'within the tolerance keeps the current count'}   | ${3}    | ${2}  | ${108} | ${100} | ${3}
    ${'half the target -> ceil(0.5 x 3) = 2'}           | ${3}    | ${3}  | ${50}  | ${100} | ${2}
    ${'from zero replicas: ceil(ratio)'}                | ${0}    | ${0}  | ${250} | ${100} | ${3}
  `('$case', ({ current, ready, value, target, expected }) => {
    expect(replicasOf(objectValueReplicas(current, ready, value, target, DEFAULT))).toBe(expected);
  });
});

describe('external average value (queue depth per replica, as KEDA sets it up)', () => {
  it.each`
    case                                                | status | total | target | expected
    ${'30 jobs, 5 per replica, 3 replicas -> 6'}        | ${3}   | ${30} | ${5}   | ${6}
    ${'16 jobs on 3 replicas: ratio 1.07, within'}      | ${3}   | ${16} | ${5}   | ${3}
    ${'empty queue -> 0'}                               | ${3}   | ${0}  | ${5}   | ${0}
    ${'from zero replicas: ceil(12 / 5) = 3'}           | ${0}   | ${12} | ${5}   | ${3}
    ${'from zero replicas and no jobs: 0'}              | ${0}   | ${0}  | ${5}   | ${0}
  `('$case', ({ status, total, target, expected }) => {
    expect(replicasOf(externalAverageValueReplicas(status, total, target, DEFAULT))).toBe(expected);
  });
});
