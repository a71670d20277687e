import { parseArgs } from 'node:util';
import { z } from 'zod';

export const SCENARIOS = ['reads', 'submit', 'mixed', 'soak'] as const;
export type Scenario = (typeof SCENARIOS)[number];
export const DRIVERS = ['autocannon', 'wrk'] as const;
export type Driver = (typeof DRIVERS)[number];

/** The seed's wrk -c10000: the most connections one machine is asked to hold. */
export const MAX_CONNECTIONS = 10_000;

// Defaults: enough connections to keep two cores busy without the load
// generator itself becoming the bottleneck; 30 s like the seed's wrk -d30s.
const DEFAULT_CONNECTIONS = 200;
const DEFAULT_DURATION_SECONDS = 30;
// A soak is about leaks and drift, which take minutes to show.
const DEFAULT_SOAK_SECONDS = 600;
// Steady and well below saturation, so a soak measures stability, not overload.
const DEFAULT_SOAK_RATE = 200;
// 100 forms with Zipf popularity: a handful hot, a long cold tail.
const DEFAULT_FORMS = 100;
// The mix: 90 % reads, 10 % submissions.
const MIXED_READ_SHARE = 0.9;
// Time for the worker to persist what was accepted; generous for a loaded laptop.
const DEFAULT_DRAIN_SECONDS = 120;

export const DEFAULT_TARGET = 'http://127.0.0.1:8080';
export const DEFAULT_COLLECTOR = 'http://127.0.0.1:3002';
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5433/formscale';

const positiveInt = (name: string, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce
    .number({ error: `--${name} must be a number` })
    .int(`--${name} must be a whole number`)
    .min(1, `--${name} must be at least 1`)
    .max(max, `--${name} must be at most ${max.toLocaleString('en-US')}`);

const httpUrl = (name: string) =>
  z.url({ protocol: /^https?$/, error: `--${name} must be an http:// or https:// URL, e.g. ${DEFAULT_TARGET}` });

const optionsSchema = z.object({
  scenario: z.enum(SCENARIOS, { error: `the scenario must be one of ${SCENARIOS.join(', ')}` }),
  connections: positiveInt('connections', MAX_CONNECTIONS).optional(),
  duration: positiveInt('duration', 24 * 3600).optional(),
  requests: positiveInt('requests').optional(),
  rate: positiveInt('rate', 1_000_000).optional(),
  url: httpUrl('url').default(DEFAULT_TARGET),
  adminKey: z.string().min(1, '--admin-key must not be empty').optional(),
  forms: positiveInt('forms', 100_000).default(DEFAULT_FORMS),
  driver: z.enum(DRIVERS, { error: `--driver must be one of ${DRIVERS.join(', ')}` }).default('autocannon'),
  seed: z.coerce.number().int('--seed must be a whole number').default(42),
  collectorUrl: httpUrl('collector-url').default(DEFAULT_COLLECTOR),
  metricsUrl: httpUrl('metrics-url').optional(),
  databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, '--database-url must be a postgres:// URL').optional(),
  replicaUrls: z
    .array(z.string().regex(/^postgres(ql)?:\/\//, '--replica-urls must be postgres:// URLs, comma-separated'))
    .optional(),
  drainTimeout: positiveInt('drain-timeout', 3600).default(DEFAULT_DRAIN_SECONDS),
  out: z.string().min(1).default('reports/loadtest'),
  label: z.string().regex(/^[a-z0-9-]{1,40}$/, '--label is lower-case letters, digits and -').optional(),
});

export interface LoadTestOptions {
  scenario: Scenario;
  connections: number;
  /** Seconds; ignored when `requests` is set. */
  durationSeconds: number;
  /** A fixed number of requests instead of a duration (exact counts, tests). */
  requests?: number;
  /** Offered requests per second; closed loop (as fast as answers come) when absent. */
  rate?: number;
  url: string;
  adminKey: string;
  forms: number;
  /** Share of reads in the mix, 0-1. */
  readShare: number;
  driver: Driver;
  seed: number;
  collectorUrl: string;
  /** A forms-api's own /metrics, to compare the server's request count with the client's. */
  metricsUrl?: string;
  databaseUrl: string;
  /** Replicas of that database, whose DB time the report shows beside the primary's. */
  replicaUrls: string[];
  drainTimeoutSeconds: number;
  outDir: string;
  label?: string;
}

export class OptionsError extends Error {}

const USAGE = `usage: npm run loadtest -- <reads|submit|mixed|soak> [options]
  --connections N      open connections, 1-${MAX_CONNECTIONS} (default ${DEFAULT_CONNECTIONS})
  --duration S         seconds (default ${DEFAULT_DURATION_SECONDS}; soak ${DEFAULT_SOAK_SECONDS})
  --requests N         stop after N requests instead of a duration
  --rate R             fixed offered rate in req/s, for latency; closed loop when absent (soak ${DEFAULT_SOAK_RATE})
                       (autocannon sends on at most R connections and holds the others open idle)
  --url URL            target (default ${DEFAULT_TARGET}, nginx of npm start)
  --admin-key KEY      admin API key (default: first of ADMIN_API_KEYS)
  --forms N            forms created and published before the run (default ${DEFAULT_FORMS})
  --driver D           autocannon (default) or wrk
  --seed N             seed of the request mix (default 42)
  --collector-url URL  metrics collector (default ${DEFAULT_COLLECTOR})
  --metrics-url URL    a forms-api's /metrics, to compare request counts
  --database-url URL   for the exactly-once check and DB time (default DATABASE_URL, else ${DEFAULT_DATABASE_URL})
  --replica-urls URLS  its replicas, comma-separated, for their DB time (default DATABASE_REPLICA_URLS, else the
                       same database on the local stack's replicas when --database-url is its primary)
  --drain-timeout S    how long to wait for the queue to drain (default ${DEFAULT_DRAIN_SECONDS})
  --out DIR            where reports go (default reports/loadtest)`;

export function usage(): string {
  return USAGE;
}

/** Parses argv (without node and script); throws OptionsError with every problem, one per line. */
export function parseOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): LoadTestOptions {
  let parsedArgs;
  try {
    parsedArgs = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        scenario: { type: 'string' },
        connections: { type: 'string', short: 'c' },
        duration: { type: 'string', short: 'd' },
        requests: { type: 'string' },
        rate: { type: 'string', short: 'R' },
        url: { type: 'string' },
        'admin-key': { type: 'string' },
        forms: { type: 'string' },
        driver: { type: 'string' },
        seed: { type: 'string' },
        'collector-url': { type: 'string' },
        'metrics-url': { type: 'string' },
        'database-url': { type: 'string' },
        'replica-urls': { type: 'string' },
        'drain-timeout': { type: 'string' },
        out: { type: 'string' },
        label: { type: 'string' },
      },
    });
  } catch (error) {
    throw new OptionsError(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  }
  const { values, positionals } = parsedArgs;
  if (positionals.length > 1) throw new OptionsError(`one scenario only, got ${positionals.join(' ')}\n${USAGE}`);
  const parsed = optionsSchema.safeParse({
    scenario: values.scenario ?? positionals[0],
    connections: values.connections,
    duration: values.duration,
    requests: values.requests,
    rate: values.rate,
    url: values.url,
    adminKey: values['admin-key'] ?? firstAdminKey(env),
    forms: values.forms,
    driver: values.driver,
    seed: values.seed,
    collectorUrl: values['collector-url'],
    metricsUrl: values['metrics-url'],
    databaseUrl: values['database-url'] ?? (env['DATABASE_URL'] || undefined),
    replicaUrls: splitList(values['replica-urls'] ?? env['DATABASE_REPLICA_URLS']),
    drainTimeout: values['drain-timeout'],
    out: values.out,
    label: values.label,
  });
  if (!parsed.success) {
    throw new OptionsError(`${parsed.error.issues.map((issue) => issue.message).join('\n')}\n${USAGE}`);
  }
  const o = parsed.data;
  if (o.adminKey === undefined) {
    throw new OptionsError('the setup creates forms through the admin API: pass --admin-key or set ADMIN_API_KEYS as the server has it');
  }
  if (o.driver === 'wrk' && o.rate !== undefined) {
    throw new OptionsError('wrk has no fixed-rate mode (that is wrk2); drop --rate for a closed-loop run, or use --driver autocannon');
  }
  if (o.driver === 'wrk' && o.requests !== undefined) {
    throw new OptionsError('wrk runs for a duration only; drop --requests or use --driver autocannon');
  }
  const soak = o.scenario === 'soak';
  return {
    scenario: o.scenario,
    connections: o.connections ?? DEFAULT_CONNECTIONS,
    durationSeconds: o.duration ?? (soak ? DEFAULT_SOAK_SECONDS : DEFAULT_DURATION_SECONDS),
    requests: o.requests,
    rate: o.rate ?? (soak ? DEFAULT_SOAK_RATE : undefined),
    url: o.url.replace(/\/+$/, ''),
    adminKey: o.adminKey,
    forms: o.forms,
    readShare: readShareOf(o.scenario),
    driver: o.driver,
    seed: o.seed,
    collectorUrl: o.collectorUrl.replace(/\/+$/, ''),
    metricsUrl: o.metricsUrl,
    databaseUrl: o.databaseUrl ?? DEFAULT_DATABASE_URL,
    replicaUrls: o.replicaUrls ?? localStackReplicas(o.databaseUrl ?? DEFAULT_DATABASE_URL),
    drainTimeoutSeconds: o.drainTimeout,
    outDir: o.out,
    label: o.label,
  };
}

export function readShareOf(scenario: Scenario): number {
  if (scenario === 'reads') return 1;
  if (scenario === 'submit') return 0;
  return MIXED_READ_SHARE;
}

function splitList(value: string | undefined): string[] | undefined {
  return value?.split(',').map((part) => part.trim()).filter((part) => part !== '');
}

// The local stack's primary and replicas (tools/stack), as DATABASE_URL's default names them.
const LOCAL_PRIMARY_PORT = '5433';
const LOCAL_REPLICA_PORTS = ['5434', '5435'];

/** The same database on the local stack's replicas, when the URL is the local stack's primary; none otherwise. */
export function localStackReplicas(databaseUrl: string): string[] {
  const url = new URL(databaseUrl);
  if (url.hostname !== '127.0.0.1' && url.hostname !== 'localhost') return [];
  if (url.port !== LOCAL_PRIMARY_PORT) return [];
  return LOCAL_REPLICA_PORTS.map((port) => {
    const replica = new URL(databaseUrl);
    replica.port = port;
    return replica.toString();
  });
}

function firstAdminKey(env: NodeJS.ProcessEnv): string | undefined {
  return env['ADMIN_API_KEYS']
    ?.split(',')
    .map((key) => key.trim())
    .find((key) => key !== '');
}
