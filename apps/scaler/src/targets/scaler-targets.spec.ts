import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseScalerTargets } from './scaler-targets';

describe('scaler targets', () => {
  it('reads the shipped scaler.yaml: forms-api on CPU and request rate, worker on the submissions queue', () => {
    const targets = parseScalerTargets(readFileSync(join(__dirname, '../../scaler.yaml'), 'utf8'));
    expect(targets.map(({ config, service, queue }) => ({ name: config.name, backend: config.backend, kinds: config.metrics.map((metric) => metric.kind), service, queue }))).toEqual([
      { name: 'forms-api', backend: 'dry-run', kinds: ['cpu', 'requestRate'], service: 'forms-api', queue: undefined },
      { name: 'worker', backend: 'dry-run', kinds: ['queueDepth'], service: 'worker', queue: 'submissions' },
    ]);
  });

  it('lets SCALER_BACKEND override every target', () => {
    const targets = parseScalerTargets(readFileSync(join(__dirname, '../../scaler.yaml'), 'utf8'), 'local');
    expect(targets.every((target) => target.config.backend === 'local')).toBe(true);
  });

  it('says what is wrong: no targets, a queueDepth metric without its queue, a name twice', () => {
    expect(() => parseScalerTargets('foo: 1')).toThrow(/needs a "targets:" list/);
    expect(() =>
      parseScalerTargets('targets:\n  - { name: worker, backend: dry-run, resource: worker, maxReplicas: 3, metrics: [{ kind: queueDepth, target: 10 }] }'),
    ).toThrow(/"worker" has a queueDepth metric but no "queue:"/);
    const one = '{ name: api, backend: dry-run, resource: api, maxReplicas: 3, metrics: [{ kind: cpu, target: 70 }] }';
    expect(() => parseScalerTargets(`targets:\n  - ${one}\n  - ${one}`)).toThrow(/"api" is listed twice/);
  });
});
