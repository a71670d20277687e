import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import type { CacheLogger } from '../src/cache-options';

export const SHARED_REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** A key prefix of its own per test, so parallel test files never see each other's keys or messages. */
export function testPrefix(name: string): string {
  return `test:cache:${name}:${randomUUID().slice(0, 8)}:`;
}

export const quietLogger: CacheLogger = pino({ level: process.env['CACHE_TEST_LOG_LEVEL'] ?? 'error' });

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes on one machine. */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
  stepMs = 10,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await sleep(stepMs);
  }
}

/** A promise the test resolves by hand: lets a loader block until the test says so. */
export class Gate<T = void> {
  readonly promise: Promise<T>;
  open!: (value: T) => void;

  constructor() {
    this.promise = new Promise<T>((resolve) => (this.open = resolve));
  }
}
