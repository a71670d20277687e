import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { EventServer, type EventServerLogger } from './event-server';
import { closeEventTransport, createEventsClient, emitEvent } from './event-transport';
import { RedisServerProcess } from './testing';

jest.setTimeout(60_000);

const SHARED_REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

function recordingLogger(): EventServerLogger & { lines: Array<{ level: string; msg: string }> } {
  const lines: Array<{ level: string; msg: string }> = [];
  return {
    lines,
    log: (fields) => lines.push({ level: 'log', msg: String((fields as { msg?: unknown }).msg) }),
    warn: (fields) => lines.push({ level: 'warn', msg: String((fields as { msg?: unknown }).msg) }),
  };
}

/** Emits on the channel every 100 ms until the server has received `count` events, or fails after 20 s. */
async function emitUntilReceived(redisUrl: string, channel: string, received: () => number, count = 1): Promise<void> {
  const client = createEventsClient(redisUrl);
  try {
    const deadline = Date.now() + 20_000;
    while (received() < count) {
      if (Date.now() > deadline) throw new Error(`no event on ${channel} arrived within 20 s`);
      await emitEvent(client, channel, { n: received() }).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await closeEventTransport(client);
  }
}

describe('EventServer', () => {
  // ServerRedis logs each refused connection through Nest's logger; what is tested here is the recording logger's lines.
  beforeAll(() => Logger.overrideLogger(false));

  it('closes cleanly at any point of its subscription, with nothing left to reject', async () => {
    const rejections: unknown[] = [];
    const record = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', record);
    try {
      // Closed 0-4 ms after start: before, during and after its SUBSCRIBEs.
      for (let i = 0; i < 40; i++) {
        const server = new EventServer(SHARED_REDIS_URL, recordingLogger());
        server.on(`fstest:${randomUUID()}:a`, () => undefined);
        server.on(`fstest:${randomUUID()}:b`, () => undefined);
        server.start();
        await new Promise((resolve) => setTimeout(resolve, i % 5));
        await server.close();
      }
      // A flushed SUBSCRIBE rejects when its socket closes, just after close() returned.
      await new Promise((resolve) => setTimeout(resolve, 500));
    } finally {
      process.off('unhandledRejection', record);
    }
    expect(rejections.map(String)).toEqual([]);
  });

  it('subscribes once Redis is back when it was started while Redis was away', async () => {
    const redis = await RedisServerProcess.notStarted();
    const logger = recordingLogger();
    const channel = `fstest:${randomUUID()}`;
    const payloads: unknown[] = [];
    const server = new EventServer(redis.url, logger);
    server.on(channel, (data) => void payloads.push(data));
    try {
      server.start();
      // Long enough for the first attempt to fail and a retry to fail too.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      await redis.restart();
      await emitUntilReceived(redis.url, channel, () => payloads.length);
      expect(payloads[0]).toEqual({ n: 0 });
      expect(logger.lines).toEqual([
        { level: 'warn', msg: 'event subscription failed; trying again every second' },
        { level: 'log', msg: 'subscribed to events again' },
      ]);
    } finally {
      await server.close();
      await redis.shutdown();
    }
  });

  it('logs a handler that throws and goes on handling the next events', async () => {
    const logger = recordingLogger();
    const channel = `fstest:${randomUUID()}`;
    let calls = 0;
    const server = new EventServer(SHARED_REDIS_URL, logger);
    server.on(channel, () => {
      calls++;
      if (calls === 1) throw new Error('the first one fails');
    });
    server.start();
    try {
      await emitUntilReceived(SHARED_REDIS_URL, channel, () => calls, 2);
      expect(logger.lines).toContainEqual({ level: 'warn', msg: 'event handler failed' });
    } finally {
      await server.close();
    }
  });
});
