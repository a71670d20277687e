import { getQueueToken } from '@nestjs/bullmq';
import { Logger, type Provider } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { queueErrorListener } from './queue-errors';

/**
 * A provider that logs the errors of the module's registered queues (see
 * queueErrorListener). Nest builds every provider at start-up, so listing it in a
 * module that registers queues is all it takes.
 */
export function queueErrorLogging(...names: string[]): Provider {
  const logger = new Logger('queue');
  return {
    provide: Symbol(`queue error logging: ${names.join(', ')}`),
    inject: names.map((name) => getQueueToken(name)),
    useFactory: (...queues: Queue[]) => {
      for (const queue of queues) queue.on('error', queueErrorListener(queue.name, (fields) => logger.error(fields)));
      return queues.length;
    },
  };
}
