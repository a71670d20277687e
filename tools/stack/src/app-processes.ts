import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

export interface AppSpec {
  name: string;
  command: string;
  args: string[];
  /** What people open, printed once everything is up. */
  url: string;
  /** Answers 200 once the process can serve. */
  readyUrl: string;
  env: Record<string, string>;
}

export interface AppProcess {
  spec: AppSpec;
  child: ChildProcess;
  exited: Promise<number | null>;
}

/** A Node app of this repo, built by nx into dist/apps/<name>/main.js. */
export function nodeAppSpec(name: string, port: number, env: Record<string, string>): AppSpec {
  const url = `http://127.0.0.1:${port}`;
  return {
    name,
    command: process.execPath,
    args: ['--enable-source-maps', `dist/apps/${name}/main.js`],
    url,
    readyUrl: `${url}/health/ready`,
    env,
  };
}

const COLORS = [36, 35, 33, 32, 34, 31];

function prefixLines(stream: NodeJS.ReadableStream | null, prefix: string, out: NodeJS.WritableStream): void {
  if (!stream) return;
  createInterface({ input: stream }).on('line', (line) => out.write(`${prefix} ${line}\n`));
}

/** Starts one process whose output lines carry its name. */
export function startApp(spec: AppSpec, index: number, root: string): AppProcess {
  const child = spawn(spec.command, spec.args, {
    cwd: root,
    env: { ...process.env, ...spec.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: Ctrl-C reaches the supervisor alone, which then
    // stops the apps in order with SIGTERM and waits for their drain.
    detached: true,
  });
  const color = COLORS[index % COLORS.length];
  const prefix = process.stdout.isTTY ? `\x1b[${color}m[${spec.name}]\x1b[0m` : `[${spec.name}]`;
  prefixLines(child.stdout, prefix, process.stdout);
  prefixLines(child.stderr, prefix, process.stderr);
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { spec, child, exited };
}

/** Polls the ready URL until 200; fails early if the process dies. */
export async function waitUntilReady(app: AppProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastProblem = 'no answer yet';
  let dead = false;
  void app.exited.then(() => (dead = true));
  while (Date.now() < deadline) {
    if (dead) throw new Error(`${app.spec.name} exited before it was ready (see its log lines above)`);
    try {
      const response = await fetch(app.spec.readyUrl, { signal: AbortSignal.timeout(2000) });
      if (response.status === 200) return;
      lastProblem = `${app.spec.readyUrl} answered ${response.status}: ${await response.text()}`;
    } catch (error) {
      lastProblem = error instanceof Error ? error.message : String(error);
    }
    await sleep(300);
  }
  throw new Error(`${app.spec.name} was not ready within ${timeoutMs / 1000} s: ${lastProblem}`);
}

/** SIGTERM, wait for the drain, then SIGKILL whatever is still there. */
export async function stopApp(app: AppProcess, drainTimeoutMs: number): Promise<void> {
  if (app.child.exitCode !== null || app.child.signalCode !== null) return;
  app.child.kill('SIGTERM');
  const outcome = await Promise.race([app.exited.then(() => 'exited'), sleep(drainTimeoutMs).then(() => 'timeout')]);
  if (outcome === 'timeout') {
    process.stderr.write(`[stack] ${app.spec.name} did not stop within ${drainTimeoutMs} ms; killing it\n`);
    app.child.kill('SIGKILL');
    await app.exited;
  }
}
