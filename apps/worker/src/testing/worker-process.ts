import { builtAppMain, startAppProcess, type AppProcess } from '@formscale/observability/testing';

/** The built worker; jest.global-setup.cjs builds it once per test run. */
export const WORKER_MAIN = builtAppMain('worker');

export type WorkerProcess = AppProcess;

/** Starts `node dist/apps/worker/main.js` with the given environment and waits until it listens. */
export function startWorkerProcess(env: Record<string, string>): Promise<WorkerProcess> {
  return startAppProcess({ app: 'worker', portVariable: 'WORKER_PORT', env });
}
