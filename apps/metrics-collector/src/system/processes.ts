import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { closedPort } from '@formscale/observability/testing';

export const WORKSPACE = join(__dirname, '../../../..');

const APPS = ['forms-api', 'worker', 'metrics-collector'] as const;
export type AppName = (typeof APPS)[number];
const PORT_VARIABLE: Record<AppName, string> = {
  'forms-api': 'FORMS_API_PORT',
  worker: 'WORKER_PORT',
  'metrics-collector': 'COLLECTOR_PORT',
};

/**
 * The test target depends on the three builds (project.json); run alone with
 * jest, the test builds whatever is missing.
 */
export function ensureBuilt(): void {
  const missing = APPS.filter((app) => !existsSync(join(WORKSPACE, 'dist/apps', app, 'main.js')));
  if (missing.length === 0) return;
  execFileSync('npx', ['nx', 'run-many', '-t', 'build', '-p', missing.join(','), '--outputStyle=static'], {
    cwd: WORKSPACE,
    env: { ...process.env, NX_DAEMON: 'false' },
    stdio: 'inherit',
  });
}

export interface AppProcess {
  name: string;
  url: string;
  child: ChildProcess;
  /** Resolves when the process has exited. */
  exited: Promise<void>;
}

// Start-up of a built app takes about a second; this bounds a broken one.
const START_TIMEOUT_MS = 60_000;

/** Starts a built app as its own process and waits for its "listening on" log line. */
export async function startProcess(app: AppName, instance: string, env: Record<string, string>): Promise<AppProcess> {
  const port = await closedPort();
  const child = spawn(process.execPath, [join(WORKSPACE, 'dist/apps', app, 'main.js')], {
    cwd: WORKSPACE,
    env: { ...process.env, ...env, INSTANCE_ID: instance, [PORT_VARIABLE[app]]: String(port), LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${instance} did not start within ${START_TIMEOUT_MS} ms: ${stderr}`)), START_TIMEOUT_MS);
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString();
      const match = /"msg":"listening on (http:\/\/[^"]+)"/.exec(buffered);
      if (match === null) return;
      clearTimeout(timer);
      // From here on the log is only drained: parsing every request line would
      // load this process, which also times the requests.
      child.stdout?.off('data', onData);
      child.stdout?.resume();
      resolve(match[1]);
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${instance} exited with ${code} before listening: ${stderr}`));
    });
  });
  return { name: instance, url, child, exited };
}

/** Stops a process by its pid and waits for it to go. */
export async function stopProcess(app: AppProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (app.child.exitCode === null && app.child.signalCode === null) app.child.kill(signal);
  await app.exited;
}

/** Polls until `check` gives a value, or fails after `timeoutMs` naming what it waited for. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** promtool from Debian's prometheus package; in CI its absence fails the test. */
export function promtool(): string | undefined {
  for (const candidate of ['/usr/bin/promtool', '/usr/local/bin/promtool']) if (existsSync(candidate)) return candidate;
  if (process.env.CI === 'true') throw new Error('promtool is not installed: apt-get install -y prometheus (npm run system-deps)');
  return undefined;
}

/** Runs promtool with arguments (and optional stdin); resolves with its output, rejects with it on failure. */
export function runPromtool(args: string[], input?: string): Promise<string> {
  const binary = promtool();
  if (binary === undefined) return Promise.resolve('promtool not installed: skipped outside CI');
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { cwd: WORKSPACE, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`promtool ${args.join(' ')} failed (${code}): ${output}`))));
    child.stdin.end(input ?? '');
  });
}
