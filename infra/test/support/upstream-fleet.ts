import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, stopProcess, waitForHttpOk } from './processes';

/** How to start one instance of the service behind nginx on a given port. */
export interface InstanceCommand {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

export interface FleetSpec {
  name: string;
  /** Starts instance `index` listening on 127.0.0.1:`port`. */
  instance(port: number, index: number): InstanceCommand;
  /** A GET that answers 200 once an instance can serve. */
  readyPath: string;
  /** A form read the edge caches (the API answers it with Cache-Control public, s-maxage). */
  cachedFormPath: string;
  /** A GET the edge does not cache, to see which instance answers each request. */
  uncachedPath: string;
}

export interface UpstreamInstance {
  index: number;
  address: string;
  process: ChildProcess;
}

export interface UpstreamFleet {
  spec: FleetSpec;
  instances: UpstreamInstance[];
  addresses(): string[];
  /** SIGKILL: the instance vanishes mid-request, as a crashed process does. */
  kill(index: number): void;
  stop(): Promise<void>;
}

async function startInstance(spec: FleetSpec, index: number): Promise<UpstreamInstance> {
  const port = await freePort();
  const { command, args, env } = spec.instance(port, index);
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    await waitForHttpOk(`http://127.0.0.1:${port}${spec.readyPath}`, child);
  } catch (error) {
    await stopProcess(child);
    throw error;
  }
  return { index, address: `127.0.0.1:${port}`, process: child };
}

export async function startFleet(spec: FleetSpec, count: number): Promise<UpstreamFleet> {
  const instances: UpstreamInstance[] = [];
  const fleet: UpstreamFleet = {
    spec,
    instances,
    addresses: () => instances.map((i) => i.address),
    kill: (index) => {
      instances[index]?.process.kill('SIGKILL');
    },
    stop: async () => {
      await Promise.all(instances.map((i) => stopProcess(i.process)));
    },
  };
  try {
    for (let i = 0; i < count; i++) instances.push(await startInstance(spec, i));
  } catch (error) {
    await fleet.stop();
    throw error;
  }
  return fleet;
}

/** Small Node servers that answer like forms-api: what the edge tests use by default. */
export const fakeFormsApi: FleetSpec = {
  name: 'fake forms-api',
  instance: (port, index) => ({
    command: process.execPath,
    args: [join(__dirname, 'fake-forms-api.cjs'), String(port), `fake-${index}`],
  }),
  readyPath: '/health/live',
  cachedFormPath: '/api/forms/edge-test-form',
  uncachedPath: '/health/live',
};

/**
 * The built forms-api (`npx nx build forms-api`), for running the same edge tests
 * against real instances: set EDGE_TEST_UPSTREAM=forms-api and EDGE_TEST_FORM_ID to
 * a published form in the database that DATABASE_URL names.
 */
export function builtFormsApi(workspaceRoot: string): FleetSpec {
  const main = join(workspaceRoot, 'dist/apps/forms-api/main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`npx nx build forms-api\` first`);
  const formId = process.env['EDGE_TEST_FORM_ID'];
  if (!formId) throw new Error('EDGE_TEST_FORM_ID must name a published form when EDGE_TEST_UPSTREAM=forms-api');
  return {
    name: 'forms-api',
    instance: (port) => ({
      command: process.execPath,
      args: [main],
      env: { FORMS_API_PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    }),
    readyPath: '/health/ready',
    cachedFormPath: `/api/forms/${encodeURIComponent(formId)}`,
    uncachedPath: '/health/live',
  };
}

/** The fleet the edge tests run against: fake instances unless EDGE_TEST_UPSTREAM=forms-api. */
export function edgeTestFleetSpec(workspaceRoot: string): FleetSpec {
  return process.env['EDGE_TEST_UPSTREAM'] === 'forms-api' ? builtFormsApi(workspaceRoot) : fakeFormsApi;
}
