import { ChildProcess, spawn } from 'node:child_process';
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

/**
 * Small Node servers that answer like forms-api, for what a real instance cannot
 * be made to do on cue: die in the middle of a request.
 */
export const fakeFormsApi: FleetSpec = {
  name: 'fake forms-api',
  instance: (port, index) => ({
    command: process.execPath,
    args: [join(__dirname, 'fake-forms-api.cjs'), String(port), `fake-${index}`],
  }),
  readyPath: '/health/live',
};
