import { DELIVER_WEBHOOK_JOB, PERSIST_SUBMISSION_JOB, SUBMISSIONS_QUEUE, WEBHOOKS_QUEUE } from '@formscale/contracts';
import { assertOneHandlerPerJob, handlerProblems, type HandlerRegistration } from './job-handlers';

const handler = async () => undefined;
const submissions: HandlerRegistration = { queue: SUBMISSIONS_QUEUE, processor: 'A', handlers: { [PERSIST_SUBMISSION_JOB]: handler } };
const webhooks: HandlerRegistration = { queue: WEBHOOKS_QUEUE, processor: 'B', handlers: { [DELIVER_WEBHOOK_JOB]: handler } };

describe('one handler per job name', () => {
  it('accepts exactly one handler for every job name', () => {
    expect(handlerProblems([submissions, webhooks])).toEqual([]);
  });

  it('refuses a job name without a handler', () => {
    expect(() => assertOneHandlerPerJob([submissions])).toThrow(/"deliver-webhook" of queue "webhooks" has no handler/);
  });

  it('refuses a job name with two handlers', () => {
    const twice = { ...submissions, processor: 'C' };
    expect(handlerProblems([submissions, twice, webhooks])).toEqual([`job "${PERSIST_SUBMISSION_JOB}" of queue "submissions" has 2 handlers: A, C`]);
  });

  it('refuses a handler for a job name the contracts do not list', () => {
    const stray = { ...webhooks, handlers: { ...webhooks.handlers, 'send-sms': handler } };
    expect(handlerProblems([submissions, stray])).toEqual([expect.stringContaining('"send-sms"')]);
  });
});
