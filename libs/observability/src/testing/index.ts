import type { DynamicModule } from '@nestjs/common';
import { createHttpApp } from '../http-app';

export { closedPort } from './ports';
export { RedisServerProcess } from './redis-server-process';
export { builtAppMain, startAppProcess, type AppProcess, type AppProcessOptions } from './app-process';

export interface RunningApp {
  url: string;
  close(): Promise<void>;
}

/** Boots an app module in this process on an ephemeral loopback port. */
export async function startApp(module: DynamicModule): Promise<RunningApp> {
  const app = await createHttpApp(module);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address();
  if (typeof address !== 'object' || address === null) throw new Error('app is not listening on a TCP port');
  return { url: `http://127.0.0.1:${address.port}`, close: () => app.close() };
}


export interface ReadinessBody {
  status: 'ok' | 'error';
  info?: Record<string, { status: string }>;
  error?: Record<string, { status: string; message?: string }>;
}

export async function readiness(url: string): Promise<{ status: number; body: ReadinessBody }> {
  const response = await fetch(`${url}/health/ready`);
  return { status: response.status, body: (await response.json()) as ReadinessBody };
}
