import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOCAL_REPLICA_PORTS } from '@formscale/config';
import { parseScalerTargets } from './scaler-targets';

const shipped = (file: string) => parseScalerTargets(readFileSync(join(__dirname, '../..', file), 'utf8'));

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

  it('npm start (scaler.local.yaml) scales the worker processes for real and decides the API in dry-run', () => {
    const local = shipped('scaler.local.yaml');
    expect(local.map(({ config }) => ({ name: config.name, backend: config.backend, resource: config.resource }))).toEqual([
      { name: 'forms-api', backend: 'dry-run', resource: 'forms-api' },
      { name: 'worker', backend: 'local', resource: 'worker' },
    ]);
    for (const { config } of local.filter((target) => target.config.backend === 'local')) {
      expect(Object.keys(LOCAL_REPLICA_PORTS)).toContain(config.resource);
      expect(config.minReplicas).toBeGreaterThan(0);
    }
    // Same numbers as the default file: only where they act differs.
    const byName = new Map(shipped('scaler.yaml').map((target) => [target.config.name, target]));
    for (const target of local) {
      const other = byName.get(target.config.name);
      expect({ ...target, config: { ...target.config, backend: 'any' } }).toEqual({ ...other, config: { ...other?.config, backend: 'any' } });
    }
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
