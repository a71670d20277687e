import { JOB_NAMES_BY_QUEUE, type QueueName } from '@formscale/contracts';
import { UnrecoverableError, type Job } from 'bullmq';

export type JobHandler = (job: Job) => Promise<unknown>;

/** The handlers one processor offers for the jobs of its queue, by job name. */
export interface HandlerRegistration {
  readonly queue: QueueName;
  readonly processor: string;
  readonly handlers: Readonly<Record<string, JobHandler>>;
}

/**
 * Every job name in libs/contracts must have exactly one handler, and every
 * handler must serve a known job name. Returns the problems, one line each
 * (empty when all is well), so start-up can refuse with all of them at once.
 */
export function handlerProblems(registrations: readonly HandlerRegistration[]): string[] {
  const problems: string[] = [];
  for (const [queue, names] of Object.entries(JOB_NAMES_BY_QUEUE)) {
    for (const name of names) {
      const owners = registrations.filter((r) => r.queue === queue && Object.hasOwn(r.handlers, name));
      if (owners.length === 0) problems.push(`job "${name}" of queue "${queue}" has no handler`);
      if (owners.length > 1) {
        problems.push(`job "${name}" of queue "${queue}" has ${owners.length} handlers: ${owners.map((o) => o.processor).join(', ')}`);
      }
    }
  }
  for (const registration of registrations) {
    const known: readonly string[] = JOB_NAMES_BY_QUEUE[registration.queue];
    for (const name of Object.keys(registration.handlers)) {
      if (!known.includes(name)) {
        problems.push(`${registration.processor} handles "${name}", which libs/contracts does not list for queue "${registration.queue}"`);
      }
    }
  }
  return problems;
}

export function assertOneHandlerPerJob(registrations: readonly HandlerRegistration[]): void {
  const problems = handlerProblems(registrations);
  if (problems.length > 0) {
    throw new Error(`Refusing to start: ${problems.join('; ')}. Register exactly one handler per job name.`);
  }
}

/** Runs the job's handler; a name nobody handles can never succeed, so it fails without retries. */
export function dispatch(handlers: Readonly<Record<string, JobHandler>>, job: Job): Promise<unknown> {
  const handler = Object.hasOwn(handlers, job.name) ? handlers[job.name] : undefined;
  if (handler === undefined) {
    return Promise.reject(new UnrecoverableError(`no handler for job name "${job.name}"; known: ${Object.keys(handlers).join(', ')}`));
  }
  return handler(job);
}
