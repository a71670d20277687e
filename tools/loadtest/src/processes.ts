import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO_ROOT } from './report';

// A cold NestJS start on two loaded cores takes seconds; a minute means it is stuck.
const READY_TIMEOUT_MS = 60_000;
// Longer than the apps' own drain (SHUTDOWN_GRACE_MS), so a clean stop is not cut short.
const STOP_TIMEOUT_MS = 30_000;

export interface RunningProcess {
  name: string;
  url: string;
  child: ChildProcess;
  /** The last lines it printed, for the error when it fails. */
  output: string[];
  stop(): Promise<void>;
}

/** A port free right now on loopback (the OS picks it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (typeof address !== 'object' || address === null) throw new Error('could not find a free port');
  return address.port;
}

export function builtAppPath(app: string): string {
  const path = join(REPO_ROOT, 'dist', 'apps', app, 'main.js');
  if (!existsSync(path)) throw new Error(`${path} is missing: build it first with npx nx build ${app}`);
  return path;
}

/** Starts a process and returns once `readyUrl` answers 200; its output is kept, not printed. */
export async function startProcess(name: string, command: string, args: string[], env: Record<string, string>, url: string, readyUrl: string): Promise<RunningProcess> {
  const child = spawn(command, args, { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(...chunk.toString().split('\n').filter(Boolean));
    if (output.length > 50) output.splice(0, output.length - 50);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = once(child, 'exit');
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const cancel = new AbortController();
    const outcome = await Promise.race([
      exited.then(() => 'exited'),
      sleep(STOP_TIMEOUT_MS, 'timeout', { signal: cancel.signal }).catch(() => 'cancelled'),
    ]);
    cancel.abort();
    if (outcome === 'timeout') {
      child.kill('SIGKILL');
      await exited;
    }
  };
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode}:\n${output.slice(-15).join('\n')}`);
    try {
      const response = await fetch(readyUrl, { signal: AbortSignal.timeout(2_000) });
      if (response.status === 200) return { name, url, child, output, stop };
    } catch {
      // Not listening yet.
    }
    await sleep(250);
  }
  await stop();
  throw new Error(`${name} was not ready within ${READY_TIMEOUT_MS / 1000} s:\n${output.slice(-15).join('\n')}`);
}

/** One built Node app of this repo (dist/apps/<app>/main.js) on a free port. */
const PORT_VARIABLES = { 'forms-api': 'FORMS_API_PORT', worker: 'WORKER_PORT', 'metrics-collector': 'COLLECTOR_PORT' } as const;

export async function startApp(app: keyof typeof PORT_VARIABLES, env: Record<string, string>, instance = 1): Promise<RunningProcess> {
  const port = await freePort();
  const portVariable = PORT_VARIABLES[app];
  const url = `http://127.0.0.1:${port}`;
  return startProcess(
    `${app}-${instance}`,
    process.execPath,
    [builtAppPath(app)],
    { LOG_LEVEL: 'warn', ...env, [portVariable]: String(port), INSTANCE_ID: `${app}-loadtest-${instance}` },
    url,
    `${url}/health/ready`,
  );
}
