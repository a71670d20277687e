import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { pino, stdTimeFunctions } from 'pino';
import { requestIdMixin } from './request-logging';

export interface LoggingOptions {
  service: string;
  instance: string;
  level: string;
}

/** Injection token of the process's root pino logger (see logRequests). */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

/**
 * JSON logs through one pino logger: Nest's logger (nestjs-pino) writes to it,
 * every line logged while a request is handled carries the request id, and
 * createHttpApp adds one line per request (logRequests).
 */
@Module({})
export class LoggingModule {
  static forRoot(options: LoggingOptions): DynamicModule {
    const logger = pino({
      level: options.level,
      base: { service: options.service, instance: options.instance },
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: requestIdMixin,
    });
    return {
      module: LoggingModule,
      global: true,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: { logger },
          // No routes: nestjs-pino's pino-http middleware would run through
          // middie and miss routes registered on Fastify directly. Request
          // ids and request lines come from Fastify hooks (createHttpApp).
          forRoutes: [],
        }),
      ],
      providers: [{ provide: ROOT_LOGGER, useValue: logger }],
      exports: [ROOT_LOGGER],
    };
  }
}
