import { parseTargetConfig, resolveBehavior } from './target-config';

const minimal = { name: 'worker', backend: 'local', resource: 'worker', maxReplicas: 8, metrics: [{ kind: 'cpu', target: 70 }] };

describe('target config', () => {
  it('fills the defaults: min 1, hpa policy, KEDA cooldown 300 s, 15 s syncs, the seed thresholds', () => {
    expect(parseTargetConfig(minimal)).toEqual({
      ...minimal,
      minReplicas: 1,
      policy: 'hpa',
      cooldownSeconds: 300,
      syncPeriodSeconds: 15,
      threshold: {
        intervalSeconds: 60,
        scaleUpCpu: 70,
        scaleUpMemory: 80,
        scaleDownCpu: 30,
        scaleDownMemory: 40,
        stepUp: 2,
        stepDown: 1,
      },
    });
  });

  it('resolves the Kubernetes default behavior when none is given', () => {
    expect(resolveBehavior(undefined)).toEqual({
      scaleUp: {
        stabilizationWindowSeconds: 0,
        selectPolicy: 'Max',
        policies: [
          { type: 'Pods', value: 4, periodSeconds: 15 },
          { type: 'Percent', value: 100, periodSeconds: 15 },
        ],
        tolerance: 0.1,
      },
      scaleDown: {
        stabilizationWindowSeconds: 300,
        selectPolicy: 'Max',
        policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
        tolerance: 0.1,
      },
    });
  });

  it('fills only the fields not given, and a list of policies replaces the default list', () => {
    const behavior = resolveBehavior({
      scaleDown: { policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] },
      scaleUp: { selectPolicy: 'Min', tolerance: 0 },
    });
    expect(behavior.scaleDown).toEqual({
      stabilizationWindowSeconds: 300,
      selectPolicy: 'Max',
      policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }],
      tolerance: 0.1,
    });
    expect(behavior.scaleUp).toMatchObject({ selectPolicy: 'Min', tolerance: 0, stabilizationWindowSeconds: 0 });
  });

  it.each`
    case                                        | change                                                                   | message
    ${'max below min'}                          | ${{ minReplicas: 5, maxReplicas: 2 }}                                     | ${'maxReplicas (2) must be at least minReplicas (5)'}
    ${'hpa without metrics'}                    | ${{ metrics: [] }}                                                        | ${'needs at least one metric'}
    ${'a metric kind twice'}                    | ${{ metrics: [{ kind: 'cpu', target: 70 }, { kind: 'cpu', target: 50 }] }} | ${'listed twice'}
    ${'a fractional cpu target'}                | ${{ metrics: [{ kind: 'cpu', target: 70.5 }] }}                           | ${'whole percentage'}
    ${'scale to zero without a queue metric'}   | ${{ minReplicas: 0 }}                                                     | ${'needs the hpa policy and a queueDepth metric'}
    ${'an unknown backend'}                     | ${{ backend: 'nomad' }}                                                   | ${'backend'}
    ${'an unknown metric kind'}                 | ${{ metrics: [{ kind: 'gpu', target: 1 }] }}                              | ${'metrics[0].kind'}
    ${'a policy period over 30 minutes'}        | ${{ behavior: { scaleUp: { policies: [{ type: 'Pods', value: 1, periodSeconds: 1801 }] } } }} | ${'periodSeconds'}
    ${'a stabilization window over 1 hour'}     | ${{ behavior: { scaleDown: { stabilizationWindowSeconds: 3601 } } }}      | ${'stabilizationWindowSeconds'}
    ${'an unknown selectPolicy'}                | ${{ behavior: { scaleDown: { selectPolicy: 'Avg' } } }}                   | ${'selectPolicy'}
  `('rejects $case with an error naming the target and the field', ({ change, message }) => {
    expect(() => parseTargetConfig({ ...minimal, ...change })).toThrow(/invalid scaling target "worker"/);
    expect(() => parseTargetConfig({ ...minimal, ...change })).toThrow(message);
  });
});
