import { scalerConfig, loadConfig } from '@formscale/config';
import { eventChannel, SCALING_DECISION, SCALING_SNAPSHOT, scalingDecisionSchema, type ScalingDecision, type ScalingSnapshot } from '@formscale/contracts';
import { closeEventTransport, createEventsClient, emitEvent } from '@formscale/observability';
import { startApp, type RunningApp } from '@formscale/observability/testing';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LeaderLease } from '../lease/leader-lease';
import { AppModule } from '../app.module';

const REDIS_URL = process.env['REDIS_URL'] || 'redis://127.0.0.1:6379';
// The shortest lease the config accepts: the take-over test waits at most this.
const LEASE_TTL_MS = 1000;

const TARGETS = `
targets:
  - name: forms-api
    backend: dry-run
    resource: forms-api
    minReplicas: 1
    maxReplicas: 8
    metrics: [{ kind: cpu, target: 70 }]
  - name: worker
    backend: dry-run
    resource: worker
    queue: submissions
    minReplicas: 1
    maxReplicas: 4
    metrics: [{ kind: queueDepth, target: 1000 }]
`;

/** forms-api: 2 instances at 140 % of their CPU request -> 4; worker: 1 instance, 2,500 jobs waiting -> 3. */
function busySnapshot(): ScalingSnapshot {
  return {
    at: Date.now(),
    windowSeconds: 60,
    services: {
      'forms-api': { instances: 2, requestRate: 300, errorRate: 0, p95: null, cpu: 140, memory: 40 },
      worker: { instances: 1, requestRate: 0, errorRate: 0, p95: null, cpu: 90, memory: 30 },
    },
    queues: { submissions: { waiting: 2500, active: 0, delayed: 0, prioritized: 0, failed: 0, oldestAgeSeconds: 4 } },
  };
}

interface Status {
  instance: string;
  leader: boolean;
  invalidSnapshots: number;
  snapshotsActedOn: number;
  snapshotsSkippedAsStandby: number;
}

async function statusOf(app: RunningApp): Promise<Status> {
  return (await (await fetch(`${app.url}/status`)).json()) as Status;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('scaler service loop and leader lease', () => {
  const prefix = `test-scaler-${randomUUID().slice(0, 8)}:`;
  const dir = mkdtempSync(join(tmpdir(), 'scaler-loop-'));
  const configFile = join(dir, 'scaler.yaml');
  writeFileSync(configFile, TARGETS);
  const env = { ...process.env, LOG_LEVEL: 'silent', EVENTS_PREFIX: prefix, SCALER_CONFIG: configFile, SCALER_LEASE_TTL_MS: String(LEASE_TTL_MS), SCALER_BACKEND: '' };
  const running = new Set<RunningApp>();
  const publisher = createEventsClient(REDIS_URL);
  const subscriber = new Redis(REDIS_URL);
  const redis = new Redis(REDIS_URL);
  const decisions: ScalingDecision[] = [];

  async function startScaler(instance: string): Promise<RunningApp> {
    const app = await startApp(AppModule.forRoot(loadConfig(scalerConfig, { ...env, INSTANCE_ID: instance })));
    running.add(app);
    return app;
  }

  async function stopScaler(app: RunningApp): Promise<void> {
    running.delete(app);
    await app.close();
  }

  beforeAll(async () => {
    subscriber.on('message', (_channel: string, message: string) => {
      // ClientProxy.emit writes { pattern, data }.
      decisions.push(scalingDecisionSchema.parse((JSON.parse(message) as { data: unknown }).data));
    });
    await subscriber.subscribe(eventChannel(prefix, SCALING_DECISION));
  });

  afterAll(async () => {
    await Promise.all([...running].map((app) => app.close()));
    await closeEventTransport(publisher);
    subscriber.disconnect();
    await redis.del(`${prefix}scaler:leader`);
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    decisions.length = 0;
  });

  it('turns a snapshot on Redis into scaling.decision events, and drops an invalid snapshot', async () => {
    const app = await startScaler('scaler-a');
    await until('a leader', async () => ((await statusOf(app)).leader ? true : undefined), 10_000);

    await emitEvent(publisher, eventChannel(prefix, SCALING_SNAPSHOT), { at: 'yesterday', services: {} });
    await until('the invalid snapshot to be counted', async () => ((await statusOf(app)).invalidSnapshots === 1 ? true : undefined), 5000);

    await emitEvent(publisher, eventChannel(prefix, SCALING_SNAPSHOT), busySnapshot());
    await until('two decisions', async () => (decisions.length >= 2 ? true : undefined), 5000);
    expect(decisions.map(({ target, from, to, reason }) => ({ target, from, to, reason })).sort((a, b) => a.target.localeCompare(b.target))).toEqual([
      { target: 'forms-api', from: 2, to: 4, reason: 'DesiredWithinRange' },
      { target: 'worker', from: 1, to: 3, reason: 'DesiredWithinRange' },
    ]);
    expect(decisions.find((decision) => decision.target === 'worker')?.metrics).toEqual({ queueDepth: 2500 });

    const metrics = await (await fetch(`${app.url}/metrics`)).text();
    expect(metrics).toMatch(/scaler_desired_replicas\{[^}]*target="worker"[^}]*\} 3/);
    expect(metrics).toMatch(/scaler_decisions_total\{[^}]*target="forms-api"[^}]*reason="DesiredWithinRange"[^}]*\} 1/);
    expect(metrics).toMatch(/scaler_invalid_snapshots_total\{[^}]*\} 1/);
    await stopScaler(app);
  });

  it('lets one of two scalers act; the other takes over when it stops', async () => {
    const a = await startScaler('scaler-a');
    const b = await startScaler('scaler-b');
    const leader = await until(
      'exactly one leader',
      async () => {
        const [sa, sb] = await Promise.all([statusOf(a), statusOf(b)]);
        if (sa.leader && sb.leader) throw new Error('two scalers lead at once');
        return sa.leader ? a : sb.leader ? b : undefined;
      },
      10_000,
    );
    const standby = leader === a ? b : a;

    await emitEvent(publisher, eventChannel(prefix, SCALING_SNAPSHOT), busySnapshot());
    await until('the standby to see the snapshot', async () => ((await statusOf(standby)).snapshotsSkippedAsStandby >= 1 ? true : undefined), 5000);
    await until('the leader to act', async () => ((await statusOf(leader)).snapshotsActedOn >= 1 ? true : undefined), 5000);
    expect(decisions.map((decision) => decision.target).sort()).toEqual(['forms-api', 'worker']);

    await stopScaler(leader);
    const stoppedAt = Date.now();
    await until('the standby to lead', async () => ((await statusOf(standby)).leader ? true : undefined), 10_000);
    // A clean stop releases the lease: the standby takes it at its next try, a third of the TTL later.
    expect(Date.now() - stoppedAt).toBeLessThan(LEASE_TTL_MS * 3);

    decisions.length = 0;
    await emitEvent(publisher, eventChannel(prefix, SCALING_SNAPSHOT), busySnapshot());
    await until('the new leader to act', async () => (decisions.length >= 2 ? true : undefined), 5000);
    await stopScaler(standby);
  });

  it('takes over from a leader that died without releasing, once its lease expired', async () => {
    const key = `${prefix}scaler:leader`;
    // A leader that took the lease and died: nobody renews or releases it.
    const dead = new LeaderLease(redis, { key, ttlMs: LEASE_TTL_MS });
    await dead.tick();
    expect(dead.isLeader()).toBe(true);
    const diedAt = Date.now();

    const app = await startScaler('scaler-c');
    expect((await statusOf(app)).leader).toBe(false);
    await until('the survivor to lead', async () => ((await statusOf(app)).leader ? true : undefined), 10_000);
    // Not before the dead leader's TTL ran out, and within a renew period after it.
    expect(Date.now() - diedAt).toBeGreaterThanOrEqual(LEASE_TTL_MS - 50);
    expect(await redis.get(key)).not.toBe(dead.token);
    await stopScaler(app);
  });
});
