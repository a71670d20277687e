import { DynamicModule, Module, RequestMethod } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { stdTimeFunctions } from 'pino';

export interface LoggingOptions {
  service: string;
  instance: string;
  level: string;
}

// Probes and scrapes arrive every few seconds from every orchestrator and
// Prometheus; logging each would drown the requests people look for.
const QUIET_PATHS = /^\/(health\/(live|ready)|metrics)(\?|$)/;

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
            // Fastify's middleware layer strips the mount prefix from req.url.
            autoLogging: {
              ignore: (req) => QUIET_PATHS.test((req as { originalUrl?: string }).originalUrl ?? req.url ?? ''),
            },
            serializers: {
              req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
              res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
            },
          },
          forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
        }),
      ],
    };
  }
}
