import { EventEmitter } from 'node:events';
import { queueErrorListener } from './queue-errors';

class Source extends EventEmitter {
  constructor(readonly name: string) {
    super();
  }
}

describe('queueErrorListener', () => {
  it('logs an error once per interval and source, with the repeats it held back', () => {
    let clock = 0;
    const lines: object[] = [];
    const submissions = new Source('submissions');
    const webhooks = new Source('webhooks');
    for (const source of [submissions, webhooks]) source.on('error', queueErrorListener(source.name, (fields) => lines.push(fields), 1_000, () => clock));
    const refused = new Error('connect ECONNREFUSED 127.0.0.1:6379');
    submissions.emit('error', refused);
    submissions.emit('error', refused);
    webhooks.emit('error', refused);
    clock = 999;
    submissions.emit('error', refused);
    submissions.emit('error', new Error('Connection is closed.'));
    clock = 1_000;
    submissions.emit('error', refused);
    expect(lines).toEqual([
      { msg: 'queue connection error', queue: 'submissions', err: refused.message, repeated: 0 },
      { msg: 'queue connection error', queue: 'webhooks', err: refused.message, repeated: 0 },
      { msg: 'queue connection error', queue: 'submissions', err: 'Connection is closed.', repeated: 0 },
      { msg: 'queue connection error', queue: 'submissions', err: refused.message, repeated: 2 },
    ]);
  });

  it('keeps an emitted error from being thrown for want of a listener', () => {
    const source = new Source('submissions');
    source.on('error', queueErrorListener(source.name, () => undefined));
    expect(() => source.emit('error', new Error('boom'))).not.toThrow();
  });
});
