import type { DynamicModule, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { IncomingMessage } from 'node:http';
import { Logger } from 'nestjs-pino';
import type { Logger as PinoLogger } from 'pino';
import { HttpMetrics, instrumentFastify } from './http-metrics';
import { ROOT_LOGGER } from './logging.module';
import { HTTP_METRICS } from './metrics.module';
import { bindRequestContext } from './request-context';
import { requestIdFrom } from './request-id';
import { logRequests } from './request-logging';

export interface HttpAppOptions {
  /** Largest request body Fastify reads; larger ones get 413. */
  bodyLimitBytes?: number;
}

// Fastify's own default; an app that takes bodies sets its limit explicitly.
const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

/** A provider of any module, or undefined for an app that does not import it. */
function optionalProvider<T>(app: NestFastifyApplication, token: symbol): T | undefined {
  try {
    return app.get<symbol, T>(token, { strict: false });
  } catch {
    return undefined;
  }
}

/**
 * A Nest application on Fastify with JSON logs and shutdown on SIGTERM/SIGINT.
 * Shutdown order: readiness turns 503 (destroy hooks), the grace passes, the
 * HTTP server stops taking requests and finishes those in flight, then
 * workers, queues and connections close in their onApplicationShutdown hooks.
 */
export async function createHttpApp(
  module: Type<unknown> | DynamicModule,
  options: HttpAppOptions = {},
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    // nginx and ingress controllers sit in front in every deployment we ship.
    trustProxy: true,
    genReqId: (request: IncomingMessage) => requestIdFrom(request.headers['x-request-id']),
  });
  bindRequestContext(adapter.getInstance());
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, { bufferLogs: true });
  // Hooked before init registers the routes, so every route (and 404s) is counted and logged.
  const httpMetrics = optionalProvider<HttpMetrics>(app, HTTP_METRICS);
  if (httpMetrics !== undefined) instrumentFastify(adapter.getInstance(), httpMetrics);
  const rootLogger = optionalProvider<PinoLogger>(app, ROOT_LOGGER);
  if (rootLogger !== undefined) logRequests(adapter.getInstance(), rootLogger);
  app.useLogger(app.get(Logger));
  app.flushLogs();
  // process.exit after close lets pino flush; a re-raised signal would not.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  return app;
}

/**
 * Connections the kernel may hold for the app before it accepts them. Node's
 * default, 511, overflows when nginx opens hundreds of upstream connections in
 * one burst of load: the kernel then drops the SYNs, nginx's connect times out,
 * and after max_fails the instance is ejected although it is only busy. The
 * kernel caps the value at net.core.somaxconn (4096 on current Linux).
 */
export const LISTEN_BACKLOG = 4096;

/** Listens and logs where, for people and for tools/stack, which waits for this line. */
export async function listen(app: NestFastifyApplication, port: number, host: string): Promise<string> {
  await app.listen({ port, host, backlog: LISTEN_BACKLOG });
  const address = app.getHttpServer().address();
  const boundPort = typeof address === 'object' && address !== null ? address.port : port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}`;
  app.get(Logger).log(`listening on ${url}`);
  return url;
}

/** An app's entry point: build, listen, and on a start-up failure say why in one JSON line and exit 1. */
export function runHttpApp(
  module: DynamicModule,
  config: { port: number; host: string },
  options: HttpAppOptions = {},
): void {
  createHttpApp(module, options)
    .then((app) => listen(app, config.port, config.host))
    .catch((error: unknown) => {
      const reason = error instanceof Error ? error.message : String(error);
      process.stderr.write(`${JSON.stringify({ level: 'fatal', time: new Date().toISOString(), msg: 'start-up failed', reason })}\n`);
      process.exit(1);
    });
}
