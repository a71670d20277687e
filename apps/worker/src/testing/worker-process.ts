import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { closedPort } from '@formscale/observability/testing';

/** The built worker; jest.global-setup.cjs builds it once per test run. */
export const WORKER_MAIN = join(__dirname, '../../../../dist/apps/worker/main.js');

/** Longest a worker may take to say it listens: a cold start on a busy 2-core machine. */
const START_TIMEOUT_MS = 60_000;

export interface WorkerProcess {
  readonly pid: number;
  readonly url: string;
  /** Every line the process wrote to stdout and stderr. */
  readonly output: string[];
  /** Resolves with the exit code (or the signal's name) when the process ends. */
  readonly exited: Promise<number | string>;
  kill(signal: NodeJS.Signals): void;
}

/** Starts `node dist/apps/worker/main.js` with the given environment and waits until it listens. */
export async function startWorkerProcess(env: Record<string, string>): Promise<WorkerProcess> {
  if (!existsSync(WORKER_MAIN)) throw new Error(`${WORKER_MAIN} is missing: run npx nx build worker`);
  const port = await closedPort();
  const child: ChildProcess = spawn(process.execPath, [WORKER_MAIN], {
    env: { PATH: process.env['PATH'] ?? '', LOG_LEVEL: 'info', WORKER_PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    stream?.on('data', (chunk: Buffer) => {
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
  // Ready when /health/live answers: independent of the log level the test chose.
  for (;;) {
    if (ended !== undefined) throw new Error(`worker exited (${ended}) before listening:\n${output.join('\n')}`);
    if (await fetch(`${url}/health/live`).then((response) => response.ok, () => false)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`worker did not listen within ${START_TIMEOUT_MS} ms:\n${output.join('\n')}`);
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
