import { parseOptions } from './options';

describe('simulate options', () => {
  it('defaults to every policy, reports/simulate and the default model', () => {
    const parsed = parseOptions(['--trace', 'ramp']);
    expect(parsed).toMatchObject({
      help: false,
      trace: 'ramp',
      policies: ['hpa-cpu', 'threshold', 'queue-depth'],
      outDir: 'reports/simulate',
      settings: { minReplicas: 2, maxReplicas: 40, latencyObjectiveMs: 100, stepSeconds: 1, service: { capacityPerReplica: 250 } },
    });
  });

  it('takes the model settings', () => {
    const parsed = parseOptions(['--trace', 'x.csv', '--policies', 'queue-depth', '--capacity', '400', '--min', '1', '--max', '9']);
    expect(parsed).toMatchObject({ policies: ['queue-depth'], settings: { minReplicas: 1, maxReplicas: 9, service: { capacityPerReplica: 400 } } });
  });

  it.each`
    case                        | argv                                               | message
    ${'no trace'}               | ${[]}                                              | ${'--trace is required: a built-in trace (ramp, spike, daily)'}
    ${'an unknown policy'}      | ${['--trace', 'ramp', '--policies', 'hpa,threshold']} | ${'unknown policy "hpa": choose from hpa-cpu, threshold, queue-depth'}
    ${'an unknown option'}      | ${['--trace', 'ramp', '--speed', '2']}             | ${"Unknown option '--speed'"}
    ${'a value that is no number'} | ${['--trace', 'ramp', '--capacity', 'fast']}    | ${'--capacity must be a number above 0, got "fast"'}
    ${'a fractional replica count'} | ${['--trace', 'ramp', '--max', '2.5']}         | ${'--max must be a whole number of replicas'}
    ${'max below min'}          | ${['--trace', 'ramp', '--min', '5', '--max', '3']} | ${'--max (3) must be at least --min (5)'}
  `('rejects $case', ({ argv, message }) => {
    expect(() => parseOptions(argv)).toThrow(message);
  });

  it('--help wins', () => {
    expect(parseOptions(['--help'])).toEqual({ help: true });
  });
});
