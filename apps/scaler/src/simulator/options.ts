import { parseArgs } from 'node:util';
import { DEFAULT_SERVICE } from './service-model';
import { DEFAULT_SIMULATION, POLICY_NAMES, type PolicyName, type SimulationSettings } from './simulate';
import { BUILT_IN_TRACES } from './traces';

export const USAGE = `Usage: npm run simulate -- --trace <name|file> [options]

Replays a load trace through a model of the service, once per scaling policy,
with the scaler's own decision code, and writes a Markdown table and an SVG
chart under the output folder.

  --trace <name|file>     built-in: ${Object.keys(BUILT_IN_TRACES).join(', ')}; or a .json or .csv file
                          (format: apps/scaler/src/simulator/README.md)
  --policies <list>       comma-separated, default all: ${POLICY_NAMES.join(',')}
  --out <dir>             default reports/simulate
  --capacity <req/s>      per ready replica, default ${DEFAULT_SERVICE.capacityPerReplica}
  --service-time-ms <ms>  default ${DEFAULT_SERVICE.serviceTimeMs}
  --startup-seconds <s>   from scale-up to ready, default ${DEFAULT_SERVICE.startupSeconds}
  --min <n>               minReplicas, default ${DEFAULT_SIMULATION.minReplicas}
  --max <n>               maxReplicas, default ${DEFAULT_SIMULATION.maxReplicas}
  --objective-ms <ms>     p95 latency objective, default ${DEFAULT_SIMULATION.latencyObjectiveMs}
  --step-seconds <s>      model time step, default ${DEFAULT_SIMULATION.stepSeconds}
  --help                  this text
`;

export interface SimulateOptions {
  trace: string;
  policies: PolicyName[];
  outDir: string;
  settings: SimulationSettings;
}

export type ParsedCommand = { help: true } | ({ help: false } & SimulateOptions);

export class OptionsError extends Error {}

function numberOption(name: string, raw: string | undefined, fallback: number, rule: 'positive' | 'integer>=1'): number {
  if (raw === undefined) {
    return fallback;
  }
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value <= 0) {
    throw new OptionsError(`--${name} must be a number above 0, got "${raw}"`);
  }
  if (rule === 'integer>=1' && !Number.isInteger(value)) {
    throw new OptionsError(`--${name} must be a whole number of replicas, got "${raw}"`);
  }
  return value;
}

export function parseOptions(argv: string[]): ParsedCommand {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        trace: { type: 'string' },
        policies: { type: 'string' },
        out: { type: 'string' },
        capacity: { type: 'string' },
        'service-time-ms': { type: 'string' },
        'startup-seconds': { type: 'string' },
        min: { type: 'string' },
        max: { type: 'string' },
        'objective-ms': { type: 'string' },
        'step-seconds': { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    throw new OptionsError(`${(error as Error).message.split('\n')[0]} (see --help)`);
  }
  if (values.help === true) {
    return { help: true };
  }
  const str = (name: string): string | undefined => values[name] as string | undefined;
  const trace = str('trace');
  if (trace === undefined || trace.trim() === '') {
    throw new OptionsError(
      `--trace is required: a built-in trace (${Object.keys(BUILT_IN_TRACES).join(', ')}) or a .json or .csv file`,
    );
  }
  const policies = (str('policies') ?? POLICY_NAMES.join(','))
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  const unknown = policies.filter((name) => !(POLICY_NAMES as readonly string[]).includes(name));
  if (unknown.length > 0 || policies.length === 0) {
    throw new OptionsError(
      `unknown polic${unknown.length === 1 ? 'y' : 'ies'} "${unknown.join(', ')}": choose from ${POLICY_NAMES.join(', ')}`,
    );
  }
  const minReplicas = numberOption('min', str('min'), DEFAULT_SIMULATION.minReplicas, 'integer>=1');
  const maxReplicas = numberOption('max', str('max'), DEFAULT_SIMULATION.maxReplicas, 'integer>=1');
  if (maxReplicas < minReplicas) {
    throw new OptionsError(`--max (${maxReplicas}) must be at least --min (${minReplicas})`);
  }
  return {
    help: false,
    trace,
    policies: [...new Set(policies)] as PolicyName[],
    outDir: str('out') ?? 'reports/simulate',
    settings: {
      service: {
        ...DEFAULT_SERVICE,
        capacityPerReplica: numberOption('capacity', str('capacity'), DEFAULT_SERVICE.capacityPerReplica, 'positive'),
        serviceTimeMs: numberOption('service-time-ms', str('service-time-ms'), DEFAULT_SERVICE.serviceTimeMs, 'positive'),
        startupSeconds: numberOption('startup-seconds', str('startup-seconds'), DEFAULT_SERVICE.startupSeconds, 'positive'),
      },
      minReplicas,
      maxReplicas,
      latencyObjectiveMs: numberOption('objective-ms', str('objective-ms'), DEFAULT_SIMULATION.latencyObjectiveMs, 'positive'),
      stepSeconds: numberOption('step-seconds', str('step-seconds'), DEFAULT_SIMULATION.stepSeconds, 'positive'),
    },
  };
}
