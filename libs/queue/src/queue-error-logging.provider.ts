import { getQueueToken } from '@nestjs/bullmq';
import { Logger, type Provider } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { logQueueErrors } from './queue-errors';

/**
 * A provider that logs the errors of the module's registered queues (see
 * logQueueErrors). Nest builds every provider at start-up, so listing it in a
 * module that registers queues is all it takes.
 */
export function queueErrorLogging(...names: string[]): Provider {
  const logger = new Logger('queue');
  return {
    provide: Symbol(`queue error logging: ${names.join(', ')}`),
    inject: names.map((name) => getQueueToken(name)),
    useFactory: (...queues: Queue[]) => {
      logQueueErrors(queues, (fields) => logger.error(fields));
      return queues.length;
    },
  };
}
