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
  const listening = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not listen within ${START_TIMEOUT_MS} ms:\n${output.join('\n')}`)), START_TIMEOUT_MS);
    const onLine = (line: string) => {
      output.push(line);
      if (line.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    };
    for (const stream of [child.stdout, child.stderr]) {
      let rest = '';
      stream?.on('data', (chunk: Buffer) => {
        const lines = (rest + chunk.toString()).split('\n');
        rest = lines.pop() ?? '';
        lines.forEach(onLine);
      });
    }
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited (${code}) before listening:\n${output.join('\n')}`));
    });
  });
  await listening;
  return {
    pid: child.pid ?? -1,
    url: `http://127.0.0.1:${port}`,
    output,
    exited,
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}
