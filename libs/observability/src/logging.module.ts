import { DynamicModule, Module, RequestMethod } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { stdTimeFunctions } from 'pino';

export interface LoggingOptions {
  service: string;
  instance: string;
  level: string;
}

// Probes and scrapes arrive every few seconds from every orchestrator and
// Prometheus, so they skip the request logger altogether. Logging each would
// drown the requests people look for; and entering nestjs-pino's
// AsyncLocalStorage even once turns on Node 20's promise hooks for the life of
// the process, a cost every later promise pays (the worker serves nothing but
// probes, and paid it on every job).
const QUIET_ROUTES = ['health/live', 'health/ready', 'metrics'].map((path) => ({ path, method: RequestMethod.GET }));

/** JSON logs through pino, one line per request, each carrying the request id. */
@Module({})
export class LoggingModule {
  static forRoot(options: LoggingOptions): DynamicModule {
    return {
      module: LoggingModule,
      global: true,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            level: options.level,
            base: { service: options.service, instance: options.instance },
            timestamp: stdTimeFunctions.isoTime,
            formatters: { level: (label) => ({ level: label }) },
            // The request id is Fastify's (see createHttpApp), so logs and the
            // X-Request-Id response header agree.
            serializers: {
              req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
              res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
            },
          },
          forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
          exclude: QUIET_ROUTES,
        }),
      ],
    };
  }
}
