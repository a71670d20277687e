import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { nodeFlagsFor } from '@formscale/config';
import { closedPort } from './ports';

/** The workspace root, from libs/observability/src/testing. */
const WORKSPACE_ROOT = join(__dirname, '../../../..');

/** Longest an app may take to say it listens: a cold start on a busy 2-core machine. */
const START_TIMEOUT_MS = 60_000;

/** `dist/apps/<app>/main.js`, what `npx nx build <app>` writes. */
export function builtAppMain(app: string): string {
  return join(WORKSPACE_ROOT, 'dist/apps', app, 'main.js');
}

export interface AppProcess {
  readonly pid: number;
  readonly url: string;
  /** Every line the process wrote to stdout and stderr. */
  readonly output: string[];
  /** Resolves with the exit code (or the signal's name) when the process ends. */
  readonly exited: Promise<number | string>;
  kill(signal: NodeJS.Signals): void;
}

export interface AppProcessOptions {
  /** The app's folder name under apps/ (and dist/apps/). */
  readonly app: string;
  /** The variable the app reads its HTTP port from, e.g. WORKER_PORT. */
  readonly portVariable: string;
  /** The whole environment besides PATH and the port: nothing leaks in from the test's own. */
  readonly env: Record<string, string>;
}

/**
 * Starts a built app as `node dist/apps/<app>/main.js` on a free loopback port
 * and waits until `/health/live` answers (which does not depend on the log
 * level the test chose). A process that exits first, or does not listen within
 * a minute, fails the start with its output. The caller ends it by its pid
 * (`kill`) in afterAll.
 */
export async function startAppProcess(options: AppProcessOptions): Promise<AppProcess> {
  const main = builtAppMain(options.app);
  if (!existsSync(main)) throw new Error(`${main} is missing: run npx nx build ${options.app}`);
  const port = await closedPort();
  const child = spawn(process.execPath, [...nodeFlagsFor(options.app), main], {
    env: { PATH: process.env['PATH'] ?? '', LOG_LEVEL: 'info', [options.portVariable]: String(port), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    stream.on('data', (chunk: Buffer) => {
      const lines = (rest + chunk.toString()).split('\n');
      rest = lines.pop() ?? '';
      output.push(...lines);
    });
  }
  let ended: number | string | undefined;
  void exited.then((code) => {
    ended = code;
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (ended !== undefined) throw new Error(`${options.app} exited (${ended}) before listening:\n${output.join('\n')}`);
    if (await fetch(`${url}/health/live`).then((response) => response.ok, () => false)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${options.app} did not listen within ${START_TIMEOUT_MS} ms:\n${output.join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    pid: child.pid ?? -1,
    url,
    output,
    exited,
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}
