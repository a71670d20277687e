import {
  eventChannel,
  SCALING_DECISION,
  SCALING_SNAPSHOT,
  ScalingSnapshot,
  scalingSnapshotSchema,
} from '@formscale/contracts';
import { closeEventTransport, createEventsClient, emitEvent, HTTP_DURATION_BUCKETS } from '@formscale/observability';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request, Agent } from 'node:http';
import { join } from 'node:path';
import { bucketIndex, histogramQuantile } from '../windows/histogram-quantile';
import { AppProcess, ensureBuilt, eventually, runPromtool, startProcess, stopProcess, WORKSPACE } from './processes';

/*
 * The whole path as processes: two forms-api instances and a worker publish
 * samples over Redis, the collector merges them. Short periods keep it quick;
 * nothing here asserts speed, only what the collector counted.
 */
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SAMPLE_INTERVAL_MS = 500;
const run = randomUUID().slice(0, 8);
const env = {
  REDIS_URL,
  EVENTS_PREFIX: `test:${run}:`,
  QUEUE_PREFIX: `{test-${run}}`,
  SAMPLE_INTERVAL_MS: String(SAMPLE_INTERVAL_MS),
  SCALING_SYNC_INTERVAL_MS: '1000',
  // The load below comes from one address; the limit is not what this test is about.
  RATE_LIMIT_SUBMISSIONS: '1000000',
};
const REQUESTS_PER_API = 300;
const WORKER_REQUESTS = 50;
// One request in flight per instance (three at once in all): the client's
// timings then hold little of its own queueing, which the server cannot see.
const CONCURRENCY_PER_TARGET = 1;
// The load on the forms API: submissions whose body arrives in two parts, PAUSE_MS
// apart, to an invalid form id (400 after the body is read). The server times a
// request from its headers to its answer, so the pause is in both its figure and the
// client's, and puts their p95 in the (25 ms, 50 ms] bucket, wide enough that the few
// milliseconds of scheduling delay only the client sees on a busy machine stay inside
// one bucket. Bare /health/live calls take well under a millisecond at the server, where
// the buckets are a factor of two apart and that delay alone spans several of them.
const SUBMIT_ROUTE = '/api/forms/:id/submissions';
const PAUSE_MS = { min: 25, max: 40 };

interface SnapshotBody {
  services: Record<
    string,
    {
      instances: number;
      live: string[];
      windows: Record<'1m' | '5m', { requests: number; p95: number | null; requestRate: number; db: { queries: number; p95: number | null } }>;
      requestsTotal: Array<{ method: string; route: string; status: string; count: number }>;
    }
  >;
  queues: Record<string, { waiting: number; oldestAgeSeconds: number }>;
  decisions: Array<{ target: string; reason: string }>;
  alerts: Array<{ alert: string; subject: string }>;
}

// Each step waits for samples a few periods apart; on a machine busy with other
// test runs that can take a while, so the bound is generous.
jest.setTimeout(120_000);

const agent = new Agent({ keepAlive: true, maxSockets: 16 });

/** One GET, timed from the call to the last byte, as a client sees it. */
function timedGet(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    request(url, { agent }, (response) => {
      response.resume();
      response.on('end', () => {
        if (response.statusCode !== 200) reject(new Error(`GET ${url} answered ${response.statusCode}`));
        else resolve(Number(process.hrtime.bigint() - started) / 1e9);
      });
    })
      .on('error', reject)
      .end();
  });
}

/** One submission whose body is sent in two parts `pauseMs` apart, timed like timedGet. */
function timedSlowPost(url: string, pauseMs: number): Promise<number> {
  const body = JSON.stringify({ data: { name: 'x'.repeat(64) } });
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const call = request(url, { agent, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (response) => {
      response.resume();
      response.on('end', () => {
        if (response.statusCode !== 400) reject(new Error(`POST ${url} answered ${response.statusCode}, expected 400 for an invalid form id`));
        else resolve(Number(process.hrtime.bigint() - started) / 1e9);
      });
    }).on('error', reject);
    call.write(body.slice(0, 10));
    setTimeout(() => call.end(body.slice(10)), pauseMs);
  });
}

async function load(url: string, count: number, call: (url: string, index: number) => Promise<number> = timedGet): Promise<number[]> {
  const timings: number[] = [];
  let next = 0;
  const lane = async () => {
    while (next < count) {
      next += 1;
      timings.push(await call(url, next));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY_PER_TARGET }, lane));
  return timings;
}

/** One instance's cumulative http_request_duration_seconds buckets for a route, from its own /metrics. */
async function scrapedBuckets(url: string, route: string): Promise<Map<number, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const buckets = new Map<number, number>();
  for (const match of text.matchAll(/^http_request_duration_seconds_bucket\{le="([^"]+)",(.*)\} (\d+)$/gm)) {
    if (!match[2].includes(`route="${route}"`)) continue;
    const le = match[1] === '+Inf' ? Infinity : Number(match[1]);
    buckets.set(le, (buckets.get(le) ?? 0) + Number(match[3]));
  }
  return buckets;
}

function p95(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil(0.95 * sorted.length) - 1];
}

describe('metrics-collector with two forms-api processes and a worker', () => {
  const processes: AppProcess[] = [];
  const subscriber = new Redis(REDIS_URL);
  const snapshots: ScalingSnapshot[] = [];
  let collector: AppProcess;
  let apiA: AppProcess;
  let apiB: AppProcess;
  let worker: AppProcess;

  async function snapshot(): Promise<SnapshotBody> {
    const response = await fetch(`${collector.url}/api/snapshot`);
    return (await response.json()) as SnapshotBody;
  }

  function routeTotal(body: SnapshotBody, service: string, route: string, status: string): number {
    return (body.services[service]?.requestsTotal ?? [])
      .filter((entry) => entry.route === route && entry.status === status)
      .reduce((sum, entry) => sum + entry.count, 0);
  }

  function liveTotal(body: SnapshotBody, service: string): number {
    return routeTotal(body, service, '/health/live', '200');
  }

  beforeAll(async () => {
    ensureBuilt();
    await subscriber.subscribe(eventChannel(env.EVENTS_PREFIX, SCALING_SNAPSHOT));
    subscriber.on('message', (_channel, message: string) => {
      snapshots.push(scalingSnapshotSchema.parse((JSON.parse(message) as { data: unknown }).data));
    });
    collector = await startProcess('metrics-collector', `collector-${run}`, env);
    processes.push(collector);
    [apiA, apiB, worker] = await Promise.all([
      startProcess('forms-api', `forms-api-a-${run}`, env),
      startProcess('forms-api', `forms-api-b-${run}`, env),
      // The worker's own queue prefix: it is here for its HTTP figures, and on the
      // shared prefix it would take the probe job the queue test needs waiting.
      startProcess('worker', `worker-${run}`, { ...env, QUEUE_PREFIX: `{test-${run}-worker}` }),
    ]);
    processes.push(apiA, apiB, worker);
    await eventually('every instance in the collector', async () => {
      const body = await snapshot();
      return body.services['forms-api']?.instances === 2 && body.services.worker?.instances === 1 ? true : undefined;
    });
  }, 300_000);

  afterAll(async () => {
    await Promise.all(processes.map((app) => stopProcess(app, 'SIGKILL')));
    agent.destroy();
    subscriber.disconnect();
  });

  it('counts exactly the requests sent, and merges the instances\' histograms into a p95 within one bucket of the client\'s', async () => {
    // A fixed spread of pauses, so every run puts the same load on the server.
    const pause = (index: number) => PAUSE_MS.min + ((index * 7) % (PAUSE_MS.max - PAUSE_MS.min + 1));
    const submit = (base: string) => (_url: string, index: number) => timedSlowPost(`${base}/api/forms/not-a-form-id/submissions`, pause(index));
    const [timingsA, timingsB] = await Promise.all([
      load(apiA.url, REQUESTS_PER_API, submit(apiA.url)),
      load(apiB.url, REQUESTS_PER_API, submit(apiB.url)),
      load(`${worker.url}/health/live`, WORKER_REQUESTS),
    ]);
    const sent = timingsA.length + timingsB.length;
    expect(sent).toBe(2 * REQUESTS_PER_API);

    // Samples arrive within a period; wait until both instances' last ones are in.
    const submitTotal = (body: SnapshotBody) => routeTotal(body, 'forms-api', SUBMIT_ROUTE, '400');
    const body = await eventually('the collector to count every request', async () => {
      const current = await snapshot();
      return submitTotal(current) >= sent && liveTotal(current, 'worker') >= WORKER_REQUESTS ? current : undefined;
    });
    expect(submitTotal(body)).toBe(sent);
    expect(liveTotal(body, 'worker')).toBe(WORKER_REQUESTS);
    // The window holds exactly the load: nothing else called the forms-api.
    expect(body.services['forms-api'].windows['5m'].requests).toBe(sent);

    const collectorP95 = body.services['forms-api'].windows['5m'].p95;
    expect(collectorP95).not.toBeNull();
    // Exact: the collector's merge of both instances' bucket deltas gives what
    // histogram_quantile gives over the sum of their own /metrics buckets.
    const ownBuckets = await Promise.all([apiA, apiB].map((app) => scrapedBuckets(app.url, SUBMIT_ROUTE)));
    const summed = [...ownBuckets[0].keys()].map((le) => ({ le, count: (ownBuckets[0].get(le) ?? 0) + (ownBuckets[1].get(le) ?? 0) }));
    expect(collectorP95).toBeCloseTo(histogramQuantile(0.95, summed) ?? NaN, 9);

    const clientP95 = p95([...timingsA, ...timingsB]);
    const collectorBucket = bucketIndex(collectorP95 ?? 0, HTTP_DURATION_BUCKETS);
    const clientBucket = bucketIndex(clientP95, HTTP_DURATION_BUCKETS);
    mkdirSync(join(WORKSPACE, 'reports/metrics'), { recursive: true });
    writeFileSync(
      join(WORKSPACE, 'reports/metrics/p95-accuracy.json'),
      JSON.stringify({ at: new Date().toISOString(), requests: sent, clientP95, collectorP95, bucketsApart: clientBucket - collectorBucket }, null, 2),
    );
    // Each request's time in the server is part of its time at the client, so the
    // server-side p95 never sits in a higher bucket than the client's, and the pause
    // that dominates both keeps them at most one bucket apart.
    expect(clientBucket - collectorBucket).toBeGreaterThanOrEqual(0);
    expect(clientBucket - collectorBucket).toBeLessThanOrEqual(1);
  });

  it('merges the instances\' database query times, every query counted once', async () => {
    // An unknown form misses both cache layers and is looked up in the database (then cached as absent).
    for (const app of [apiA, apiB]) {
      for (let i = 0; i < 20; i += 1) {
        const response = await fetch(`${app.url}/api/forms/${randomUUID()}`);
        expect(response.status).toBe(404);
      }
    }
    const ownCount = async (app: AppProcess) => {
      const text = await (await fetch(`${app.url}/metrics`)).text();
      return [...text.matchAll(/^db_query_duration_seconds_count\{.*\} (\d+)$/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
    };
    const [countA, countB] = await Promise.all([ownCount(apiA), ownCount(apiB)]);
    expect(countA).toBeGreaterThanOrEqual(20);
    expect(countB).toBeGreaterThanOrEqual(20);
    const body = await eventually('the collector to count every query', async () => {
      const current = await snapshot();
      return current.services['forms-api'].windows['5m'].db.queries >= countA + countB ? current : undefined;
    });
    const db = body.services['forms-api'].windows['5m'].db;
    expect(db.queries).toBe(countA + countB);
    expect(db.p95).toBeGreaterThan(0);
  });

  it('publishes scaling.snapshot with every service and queue', async () => {
    const latest = await eventually('a snapshot with both forms-api instances', async () =>
      [...snapshots].reverse().find((candidate) => candidate.services['forms-api']?.instances === 2),
    );
    expect(latest.services.worker).toMatchObject({ instances: 1 });
    expect(Object.keys(latest.queues).sort()).toEqual(['submissions', 'webhooks']);
  });

  it('reports a waiting job and its age, and records a scaler decision', async () => {
    const queue = new Queue('submissions', { connection: { url: REDIS_URL } as never, prefix: env.QUEUE_PREFIX });
    const client = createEventsClient(REDIS_URL);
    try {
      await queue.add('submission', { probe: run }, { timestamp: Date.now() - 30_000 });
      const body = await eventually('the waiting job in the collector', async () => {
        const current = await snapshot();
        return current.queues.submissions?.waiting === 1 ? current : undefined;
      });
      expect(body.queues.submissions.oldestAgeSeconds).toBeGreaterThanOrEqual(30);

      const decision = { target: 'forms-api', from: 2, to: 3, reason: `probe ${run}`, metrics: { cpu: 81 }, at: Date.now() };
      await emitEvent(client, eventChannel(env.EVENTS_PREFIX, SCALING_DECISION), decision);
      await eventually('the decision in the collector', async () =>
        (await snapshot()).decisions.find((recorded) => recorded.reason === decision.reason),
      );
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
      await closeEventTransport(client);
    }
  });

  it('serves /metrics that promtool accepts, from every app and the collector', async () => {
    for (const app of [apiA, apiB, worker, collector]) {
      const text = await (await fetch(`${app.url}/metrics`)).text();
      await runPromtool(['check', 'metrics'], text);
    }
    const aggregate = await (await fetch(`${collector.url}/metrics`)).text();
    expect(aggregate).toMatch(/^formscale_instances\{service="forms-api",instance="[^"]+"\} 2$/m);
    expect(aggregate).toMatch(
      new RegExp(`^formscale_requests_total\\{service="forms-api",method="POST",route="/api/forms/:id/submissions",status="400",instance="[^"]+"\\} ${2 * REQUESTS_PER_API}$`, 'm'),
    );
    for (const gauge of ['formscale_latency_seconds', 'formscale_db_query_seconds']) {
      expect(aggregate).toMatch(new RegExp(`^${gauge}\\{service="forms-api",window="5m",percentile="p95",instance="[^"]+"\\} [0-9.e-]+$`, 'm'));
    }
    expect(aggregate).toMatch(/^queue_jobs\{queue="submissions",state="waiting",service="metrics-collector",instance="[^"]+"\} \d+$/m);
  });

  it('drops an instance that stopped sending after 3 periods', async () => {
    const killedAt = Date.now();
    await stopProcess(apiB, 'SIGKILL');
    await eventually('forms-api down to one instance', async () => {
      const body = await snapshot();
      return body.services['forms-api'].instances === 1 ? body : undefined;
    });
    // Its last sample left at most one period before the kill, and it must stay counted for 3.
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(2 * SAMPLE_INTERVAL_MS);
    const body = await snapshot();
    expect(body.services['forms-api'].live).toEqual([apiA.name]);
    expect(body.services.worker.instances).toBe(1);
  });

  it('counts the last requests of an instance stopped with SIGTERM, and drops it at once', async () => {
    const before = liveTotal(await snapshot(), 'forms-api');
    const last = 25;
    for (let i = 0; i < last; i += 1) await timedGet(`${apiA.url}/health/live`);
    // No wait for a periodic sample: the final one, sent after the server closed, must carry these.
    await stopProcess(apiA, 'SIGTERM');
    expect(apiA.child.exitCode).toBe(0);
    const body = await eventually('the final sample of the stopped instance', async () => {
      const current = await snapshot();
      return current.services['forms-api'].instances === 0 ? current : undefined;
    });
    expect(liveTotal(body, 'forms-api')).toBe(before + last);
    // It said goodbye, so it is gone, not down; the SIGKILLed one is down.
    const down = body.alerts.filter((alert) => alert.alert === 'InstanceDown').map((alert) => alert.subject);
    expect(down).toContain(apiB.name);
    expect(down).not.toContain(apiA.name);
  });
});
