// `npm run bench:scaling`: the seed's before/after table, measured on this machine.
import { parseArgs } from 'node:util';
import { z } from 'zod';
// tools/bench is a folder of bench scripts, not an Nx project: its report writer is shared by every bench on purpose.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { writeBenchReport } from '../../bench/report';
import { DRIVERS, MAX_CONNECTIONS } from './options';
import { wrkAvailable } from './wrk-driver';
import { defaultApiInstances, runScalingBench, writeScalingChart } from './scaling-bench';

// The seed's wrk -c10000 and DESIGN's setting; the open-files limit is raised (or
// the run stops and says how) in runLoadTest. Fewer with --connections.
const DEFAULT_CONNECTIONS = MAX_CONNECTIONS;
const DEFAULT_DURATION_SECONDS = 30;
const DEFAULT_FORMS = 100;

const settingsSchema = z.object({
  connections: z.coerce.number().int().min(1).max(MAX_CONNECTIONS, `--connections must be at most ${MAX_CONNECTIONS}`).default(DEFAULT_CONNECTIONS),
  duration: z.coerce.number().int().min(1, '--duration must be at least 1 second').default(DEFAULT_DURATION_SECONDS),
  forms: z.coerce.number().int().min(1).max(100_000).default(DEFAULT_FORMS),
  instances: z.coerce.number().int().min(1).max(64).default(defaultApiInstances()),
  seed: z.coerce.number().int().default(42),
  // Time for the worker to persist what was accepted; generous for a loaded laptop.
  drainTimeout: z.coerce.number().int().min(1).default(120),
  driver: z.enum(DRIVERS, { error: `--driver must be one of ${DRIVERS.join(', ')}` }).optional(),
});

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { connections: { type: 'string' }, duration: { type: 'string' }, forms: { type: 'string' }, instances: { type: 'string' }, seed: { type: 'string' }, 'drain-timeout': { type: 'string' }, driver: { type: 'string' } },
  });
  const parsed = settingsSchema.safeParse({ ...values, drainTimeout: values['drain-timeout'] });
  if (!parsed.success) throw new Error(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('\n'));
  const s = parsed.data;
  // wrk by default, as the seed measured: in C it leaves more of the two cores to the system
  // under test than autocannon, which shares Node's event loop costs with it.
  const driver = s.driver ?? ((await wrkAvailable()) ? 'wrk' : 'autocannon');
  const settings = {
    connections: s.connections,
    durationSeconds: s.duration,
    forms: s.forms,
    apiInstances: s.instances,
    seed: s.seed,
    drainTimeoutSeconds: s.drainTimeout,
    driver,
  };
  const result = await runScalingBench(settings, (line) => process.stderr.write(`[bench:scaling] ${line}\n`));
  process.stdout.write(`\nbench:scaling, mixed load (90 % reads, 10 % submissions), ${s.connections} connections, ${s.duration} s per phase, ${driver}\n\n${result.table}\n`);
  const chart = writeScalingChart(result);
  const { path } = writeBenchReport('scaling', {
    settings: { connections: s.connections, durationSeconds: s.duration, forms: s.forms, apiInstances: s.instances, seed: s.seed, scenario: 'mixed', driver },
    figures: {
      before_rps: Math.round(result.before.client.requestsPerSecond),
      after_rps: Math.round(result.after.client.requestsPerSecond),
      before_p95_ms: result.before.client.latencyMs.p95,
      after_p95_ms: result.after.client.latencyMs.p95,
      before_error_rate: result.before.client.errorRate,
      after_error_rate: result.after.client.errorRate,
    },
    ratios: result.ratios,
  });
  process.stdout.write(`\nsaved ${path}\n  and ${chart}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:scaling failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
