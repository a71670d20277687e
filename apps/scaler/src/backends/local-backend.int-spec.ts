import { closedPort } from '@formscale/observability/testing';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { LocalBackend, type LocalBackendOptions } from './local-backend';

const ROOT = join(__dirname, '../../../..');
type LocalEvent = Parameters<NonNullable<LocalBackendOptions['onEvent']>>[0];

async function live(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/health/live`)).status === 200;
  } catch {
    return false;
  }
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('local backend with the real worker', () => {
  const events: LocalEvent[] = [];
  let ports: number[] = [];
  let backend: LocalBackend;

  beforeAll(async () => {
    execFileSync('npx', ['nx', 'build', 'worker', '--outputStyle=static'], { cwd: ROOT, env: { ...process.env, NX_DAEMON: 'false' }, stdio: 'ignore' });
    ports = [await closedPort(), await closedPort(), await closedPort()];
    backend = new LocalBackend({
      root: ROOT,
      env: { ...process.env, LOG_LEVEL: 'silent', EVENTS_PREFIX: `test-local-${randomUUID().slice(0, 8)}:`, QUEUE_PREFIX: `{test-local-${randomUUID().slice(0, 8)}}` },
      portFor: (_app, index) => ports[index] ?? 0,
      onEvent: (event) => events.push(event),
    });
  }, 300_000);

  afterAll(() => backend?.close());

  it('starts and stops worker processes to follow the count, each stop a SIGTERM the worker drains on', async () => {
    await backend.scaleTo('worker', 1);
    expect(await backend.currentReplicas('worker')).toBe(1);
    await until('worker 1 live', () => live(ports[0] ?? 0), 60_000);

    await backend.scaleTo('worker', 3);
    expect(backend.running('worker').map((instance) => instance.id)).toEqual(['worker-local-1', 'worker-local-2', 'worker-local-3']);
    await until('workers 2 and 3 live', async () => (await live(ports[1] ?? 0)) && (await live(ports[2] ?? 0)), 60_000);

    await backend.scaleTo('worker', 1);
    expect(await backend.currentReplicas('worker')).toBe(1);
    expect(backend.running('worker').map((instance) => instance.id)).toEqual(['worker-local-1']);
    // The newest went, on their own after SIGTERM (no SIGKILL), with a clean exit.
    const ends = events.filter((event) => event.event !== 'started').map(({ instance, event, code }) => ({ instance, event, code }));
    expect(ends).toEqual(
      expect.arrayContaining([
        { instance: 'worker-local-3', event: 'exited', code: 0 },
        { instance: 'worker-local-2', event: 'exited', code: 0 },
        { instance: 'worker-local-3', event: 'stopped', code: undefined },
        { instance: 'worker-local-2', event: 'stopped', code: undefined },
      ]),
    );
    expect(events.some((event) => event.event === 'killed')).toBe(false);
    expect(await live(ports[1] ?? 0)).toBe(false);
    expect(await live(ports[0] ?? 0)).toBe(true);
  }, 180_000);
});
