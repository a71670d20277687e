/*
 * bench:worker — how fast one worker process turns queued submissions into rows,
 * against two baselines on the same 50,000 jobs in the same run:
 *   noop:   a BullMQ worker (own process, same concurrency) that completes each job doing nothing;
 *   insert: the same rows written by raw multi-row INSERTs of the same batch size, no queue at all.
 * The 1-process pair runs ROUNDS times, alternated, and the medians are reported; then
 * the rates with 2 and 4 processes of each. Writes reports/bench/worker.json.
 *
 * The database is a primary of the bench's own with no replica, as deployed: replicas
 * run on other hosts. The local stack's primary streams every write to two replicas
 * replaying it on these same two cores, which costs PostgreSQL about a quarter more
 * CPU per row; the 1-process worker and no-op rates on it are reported too
 * (with_local_replicas_*), so both are in one run.
 *
 * Everything else shares this machine's cores: the consumer, Redis and PostgreSQL. So
 * next to each rate the CPU time spent per job is reported for each of them (consumer,
 * Redis, PostgreSQL's processes), and the worker's own GC time per job: wall-clock rates
 * move with whatever else runs, CPU per job says where the time goes.
 *
 * Every drain does the same work: the no-op worker runs with the worker's Node flags
 * (libs/config's APP_NODE_FLAGS), the submissions table is emptied before each worker
 * drain (a later round would otherwise pay for bigger indexes), and one short pair
 * warms Redis and PostgreSQL up before anything is measured.
 *
 *   npx tsx --tsconfig tsconfig.base.json tools/bench/worker.bench.ts   (needs the stack and `npx nx build worker`)
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import {
  nodeFlagsFor,
  WORKER_BATCH_SIZE,
  WORKER_CONCURRENCY,
  WORKER_KEEP_COMPLETED_COUNT,
  WORKER_KEEP_COMPLETED_SECONDS,
} from '@formscale/config';
import { WEBHOOKS_QUEUE } from '@formscale/contracts';
import { createPublishedForm, createTestDatabase, startThrowawayPrimary } from '@formscale/db/testing';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Client, Pool } from 'pg';
import { enqueueSubmissions, REDIS_URL, submissionJob, submissionQueue, testQueuePrefix } from '@formscale/queue/testing';
import { startAppProcess, type AppProcess } from '@formscale/observability/testing';
import { median, ratio, writeBenchReport } from './report';

const JOBS = Number(process.env['BENCH_JOBS'] ?? 50_000);
/** The worker's own defaults unless the environment says otherwise: the no-op runs at the same concurrency. */
const CONCURRENCY = Number(process.env['WORKER_CONCURRENCY'] ?? WORKER_CONCURRENCY.default);
const BATCH_SIZE = Number(process.env['WORKER_BATCH_SIZE'] ?? WORKER_BATCH_SIZE.default);
const POLL_MS = 50;
const PROCESSES = [1, 2, 4] as const;
/**
 * The 1-process worker and no-op drains, alternated (ABBA) this many times on
 * each database; the medians are reported. One drain lasts seconds, and on a
 * shared machine one pair alone moved the ratio by 0.1 between runs.
 */
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);
/** The warm-up pair's jobs: enough for Redis and PostgreSQL to have grown their memory. */
const WARMUP_JOBS = Math.ceil(JOBS / 5);
/** addBulk calls in flight while preparing a queue: preparing is not measured, only waited for. */
const ENQUEUE_LANES = 4;
/** Linux reports process CPU time in clock ticks of 1/100 s (USER_HZ). */
const CLOCK_TICKS_PER_S = 100;

const NOOP_WORKER = `
const { Worker } = require('bullmq');
const worker = new Worker('submissions', async () => undefined, {
  connection: { url: process.env.REDIS_URL }, prefix: process.env.QUEUE_PREFIX,
  concurrency: Number(process.env.WORKER_CONCURRENCY),
  removeOnComplete: { age: Number(process.env.KEEP_COMPLETED_SECONDS), count: Number(process.env.KEEP_COMPLETED_COUNT) },
});
worker.waitUntilReady().then(() => console.log('listening on noop'));
process.on('SIGTERM', () => worker.close().then(() => process.exit(0)));
`;

interface Drain {
  perS: number;
  /** CPU time of the consumer processes per job, where /proc is readable. */
  cpuUsPerJob: number | undefined;
  /** CPU time of the Redis server per job, where it runs here. */
  redisUsPerJob: number | undefined;
  /** CPU time of the database's PostgreSQL processes per job (its replicas' included, where it has some here). */
  postgresUsPerJob: number | undefined;
  /** The worker processes' garbage collection time per job, from their /metrics (none for the no-op). */
  gcUsPerJob: number | undefined;
}

/** Where a drain's CPU time is read: the consumer processes, and what they use. */
interface DrainSetting {
  consumers: readonly number[];
  /** PostgreSQL's cluster names of the database (process titles carry them). */
  clusters: readonly string[];
  /** The consumers' /metrics, for their GC time. */
  metricsUrls: readonly string[];
}

/** CPU seconds a process has used so far, or undefined where /proc/<pid>/stat cannot be read. */
function cpuSeconds(pid: number): number | undefined {
  try {
    // The fields after the command name: utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks / CLOCK_TICKS_PER_S : undefined;
  } catch {
    return undefined;
  }
}


/** Pids of the processes whose command line holds one of the cluster names: a cluster's postmaster and its backends. */
function clusterPids(clusters: readonly string[]): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const commandLine = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (clusters.some((name) => commandLine.includes(name))) pids.push(Number(entry));
    } catch {
      // The process ended while the list was read.
    }
  }
  return pids;
}

/** The Redis server's pid, asked once: none where Redis runs elsewhere (no /proc entry here). */
let redisPids: Promise<number[]> | undefined;
function localRedisPids(): Promise<number[]> {
  redisPids ??= (async () => {
    const redis = new Redis(REDIS_URL);
    try {
      const pid = Number(/process_id:(\d+)/.exec(await redis.info('server'))?.[1]);
      return Number.isInteger(pid) && cpuSeconds(pid) !== undefined ? [pid] : [];
    } finally {
      redis.disconnect();
    }
  })();
  return redisPids;
}

/** CPU seconds of each readable pid, for a before/after difference that also counts processes started in between. */
function cpuByPid(pids: readonly number[]): Map<number, number> {
  const seconds = new Map<number, number>();
  for (const pid of pids) {
    const used = cpuSeconds(pid);
    if (used !== undefined) seconds.set(pid, used);
  }
  return seconds;
}

/** CPU seconds used between the two readings; undefined when no process could be read. */
function usedSince(before: Map<number, number>, after: Map<number, number>): number | undefined {
  if (after.size === 0) return undefined;
  let total = 0;
  for (const [pid, seconds] of after) total += seconds - (before.get(pid) ?? 0);
  return total;
}

/** Seconds the processes behind the /metrics URLs have spent in garbage collection (prom-client's default metrics). */
async function gcSeconds(metricsUrls: readonly string[]): Promise<number> {
  let total = 0;
  for (const url of metricsUrls) {
    const text = await (await fetch(url)).text();
    for (const match of text.matchAll(/^nodejs_gc_duration_seconds_sum\{[^}]*\} (\S+)$/gm)) total += Number(match[1]);
  }
  return total;
}

async function remaining(queue: Queue): Promise<number> {
  const counts = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized');
  return Object.values(counts).reduce((sum, count) => sum + count, 0);
}

/** Enqueues jobCount submissions on a paused queue, for a drain to resume. */
async function preparedQueue(databaseUrl: string, jobCount: number): Promise<{ queue: Queue; prefix: string; formId: string }> {
  const prefix = testQueuePrefix('bench');
  const queue = submissionQueue(prefix);
  await queue.pause();
  const formId = await createPublishedForm(databaseUrl);
  const jobs = Array.from({ length: jobCount }, (_, index) => submissionJob(formId, index));
  const lane = Math.ceil(jobCount / ENQUEUE_LANES);
  await Promise.all(
    Array.from({ length: ENQUEUE_LANES }, (_, index) => enqueueSubmissions(queue, jobs.slice(index * lane, (index + 1) * lane))),
  );
  return { queue, prefix, formId };
}

/** Resumes the prepared queue of jobCount jobs and waits until the consumers have emptied it. */
async function drain(queue: Queue, jobCount: number, setting: DrainSetting): Promise<Drain> {
  const perJob = (seconds: number | undefined) => (seconds === undefined ? undefined : (seconds / jobCount) * 1e6);
  const redis = await localRedisPids();
  const readCpu = () => ({
    consumers: cpuByPid(setting.consumers),
    redis: cpuByPid(redis),
    postgres: cpuByPid(clusterPids(setting.clusters)),
  });
  const before = readCpu();
  const gcBefore = await gcSeconds(setting.metricsUrls);
  const started = performance.now();
  await queue.resume();
  while ((await remaining(queue)) > 0) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  const perS = jobCount / ((performance.now() - started) / 1000);
  const after = readCpu();
  const gcAfter = await gcSeconds(setting.metricsUrls);
  return {
    perS,
    cpuUsPerJob: perJob(usedSince(before.consumers, after.consumers)),
    redisUsPerJob: perJob(usedSince(before.redis, after.redis)),
    postgresUsPerJob: perJob(usedSince(before.postgres, after.postgres)),
    gcUsPerJob: setting.metricsUrls.length === 0 ? undefined : perJob(gcAfter - gcBefore),
  };
}

/** An empty submissions table, so each worker drain inserts into the same one. */
async function emptySubmissions(databaseUrl: string): Promise<void> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('TRUNCATE submissions CASCADE');
  } finally {
    await client.end();
  }
}

/** Where the database runs: the bench's own primary, or the stack's primary and its replicas. */
interface BenchDatabase {
  url: string;
  clusters: readonly string[];
}

async function workerRate(database: BenchDatabase, processes: number, jobCount = JOBS): Promise<Drain> {
  await emptySubmissions(database.url);
  const { queue, prefix } = await preparedQueue(database.url, jobCount);
  const env = {
    DATABASE_URL: database.url,
    DATABASE_REPLICA_URLS: '',
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    WORKER_CONCURRENCY: String(CONCURRENCY),
    WORKER_BATCH_SIZE: String(BATCH_SIZE),
  };
  const workers: AppProcess[] = [];
  try {
    for (let i = 0; i < processes; i++) workers.push(await startAppProcess({ app: 'worker', portVariable: 'WORKER_PORT', env }));
    return await drain(queue, jobCount, {
      consumers: workers.map((worker) => worker.pid),
      clusters: database.clusters,
      metricsUrls: workers.map((worker) => `${worker.url}/metrics`),
    });
  } finally {
    for (const worker of workers) worker.kill('SIGTERM');
    await Promise.all(workers.map((worker) => worker.exited));
    await queue.obliterate({ force: true });
    await queue.close();
    // The worker also opened its webhooks queue under the prefix: leave nothing of the run behind.
    const webhooks = new Queue(WEBHOOKS_QUEUE, { connection: { url: REDIS_URL }, prefix });
    await webhooks.obliterate({ force: true });
    await webhooks.close();
  }
}

async function noopRate(database: BenchDatabase, processes: number, jobCount = JOBS): Promise<Drain> {
  const { queue, prefix } = await preparedQueue(database.url, jobCount);
  const children = Array.from({ length: processes }, () =>
    spawn(process.execPath, [...nodeFlagsFor('worker'), '-e', NOOP_WORKER], {
      env: {
        ...process.env,
        REDIS_URL,
        QUEUE_PREFIX: prefix,
        WORKER_CONCURRENCY: String(CONCURRENCY),
        // The worker's retention, so both trim their completed jobs alike.
        KEEP_COMPLETED_SECONDS: WORKER_KEEP_COMPLETED_SECONDS.default ?? '',
        KEEP_COMPLETED_COUNT: WORKER_KEEP_COMPLETED_COUNT.default ?? '',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  );
  const exited = children.map((child) => new Promise((resolve) => child.on('exit', resolve)));
  try {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => child.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('listening') && resolve())),
      ),
    );
    return await drain(queue, jobCount, { consumers: children.map((child) => child.pid ?? -1), clusters: [], metricsUrls: [] });
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(exited);
    await queue.obliterate({ force: true });
    await queue.close();
  }
}

/** The same rows in plain multi-row INSERTs (no statistics, no queue), as many batches in flight as the worker has. */
async function insertRate(databaseUrl: string): Promise<number> {
  const formId = await createPublishedForm(databaseUrl);
  const rows = Array.from({ length: JOBS }, (_, index) => submissionJob(formId, index));
  const inFlight = Math.max(1, Math.ceil(CONCURRENCY / BATCH_SIZE));
  const pool = new Pool({ connectionString: databaseUrl, max: inFlight });
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      for (;;) {
        const batch = rows.slice(next, next + BATCH_SIZE);
        next += BATCH_SIZE;
        if (batch.length === 0) return;
        await pool.query(
          `INSERT INTO submissions (id, form_id, form_version, data, idempotency_key, received_at, client_metadata)
           SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::jsonb[], $5::text[], $6::timestamptz[], $7::jsonb[])
           ON CONFLICT DO NOTHING`,
          [
            batch.map((r) => r.submissionId),
            batch.map((r) => r.formId),
            batch.map((r) => r.formVersion),
            batch.map((r) => JSON.stringify(r.data)),
            batch.map((r) => r.idempotencyKey),
            batch.map((r) => r.receivedAt),
            batch.map((r) => JSON.stringify(r.client)),
          ],
        );
      }
    }),
  );
  const rate = JOBS / ((performance.now() - started) / 1000);
  await pool.end();
  return rate;
}

interface Pairs {
  medians: { noop_1p: Drain; worker_1p: Drain };
  /** worker/no-op of each round, in order. */
  ratios: number[];
  /** Their median. */
  ratio: number;
}

function medianOf(values: (number | undefined)[]): number | undefined {
  return values.every((value) => value !== undefined) ? median(values as number[]) : undefined;
}

function medianDrain(drains: Drain[]): Drain {
  return {
    perS: median(drains.map((drain) => drain.perS)),
    cpuUsPerJob: medianOf(drains.map((drain) => drain.cpuUsPerJob)),
    redisUsPerJob: medianOf(drains.map((drain) => drain.redisUsPerJob)),
    postgresUsPerJob: medianOf(drains.map((drain) => drain.postgresUsPerJob)),
    gcUsPerJob: medianOf(drains.map((drain) => drain.gcUsPerJob)),
  };
}

/** ROUNDS of one no-op and one worker drain on a database, in ABBA order so drift hits both alike. */
async function alternatedPairs(database: BenchDatabase): Promise<Pairs> {
  const noops: Drain[] = [];
  const workers: Drain[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    if (round % 2 === 0) {
      noops.push(await noopRate(database, 1));
      workers.push(await workerRate(database, 1));
    } else {
      workers.push(await workerRate(database, 1));
      noops.push(await noopRate(database, 1));
    }
    console.log(`round ${round + 1}/${ROUNDS}: worker ${Math.round(workers[round]?.perS ?? 0)}/s, no-op ${Math.round(noops[round]?.perS ?? 0)}/s`);
  }
  const ratios = workers.map((drain, round) => Number((drain.perS / (noops[round]?.perS ?? Infinity)).toFixed(3)));
  return { medians: { noop_1p: medianDrain(noops), worker_1p: medianDrain(workers) }, ratios, ratio: median(ratios) };
}

/** The cluster names of a database's primary and of the replicas streaming from it (process titles carry them). */
async function clustersOf(databaseUrl: string): Promise<string[]> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const primary = await client.query<{ cluster_name: string }>('SHOW cluster_name');
    const replicas = await client.query<{ application_name: string }>('SELECT application_name FROM pg_stat_replication');
    return [primary.rows[0]?.cluster_name ?? '', ...replicas.rows.map((row) => row.application_name)].filter((name) => name !== '');
  } finally {
    await client.end();
  }
}

const FIGURES_PER_DRAIN: [suffix: string, read: (drain: Drain) => number | undefined][] = [
  ['per_s', (drain) => drain.perS],
  ['cpu_us_per_job', (drain) => drain.cpuUsPerJob],
  ['redis_cpu_us_per_job', (drain) => drain.redisUsPerJob],
  ['postgres_cpu_us_per_job', (drain) => drain.postgresUsPerJob],
  ['gc_us_per_job', (drain) => drain.gcUsPerJob],
];

async function main(): Promise<void> {
  // initdb and pg_ctl run as the postgres user, which takes root (runuser).
  const alone = await startThrowawayPrimary().catch((error: unknown) => {
    throw new Error(
      `bench:worker needs a PostgreSQL primary of its own and could not start one (${error instanceof Error ? error.message : String(error)}); ` +
        'run it as root, like npm test, with the PostgreSQL server binaries installed (npm run system-deps)',
    );
  });
  const own = await createTestDatabase({ label: 'bench-worker', primaryUrl: alone.url('postgres'), replicaUrls: [] });
  // The stack's primary: its replicas replay every row the worker writes, on these cores.
  const stack = await createTestDatabase({ label: 'bench-worker-replicated', replicaUrls: [] });
  try {
    const db: BenchDatabase = { url: own.url, clusters: await clustersOf(own.url) };
    const replicated: BenchDatabase = { url: stack.url, clusters: await clustersOf(stack.url) };
    const insert = await insertRate(db.url);
    console.log('warming up Redis and PostgreSQL (not measured)');
    await noopRate(db, 1, WARMUP_JOBS);
    await workerRate(db, 1, WARMUP_JOBS);
    const drains: Record<string, Drain> = {};
    const pairs = { alone: await alternatedPairs(db), replicated: await alternatedPairs(replicated) };
    for (const processes of PROCESSES.filter((count) => count > 1)) {
      drains[`noop_${processes}p`] = await noopRate(db, processes);
      drains[`worker_${processes}p`] = await workerRate(db, processes);
    }
    Object.assign(drains, pairs.alone.medians);
    drains['with_local_replicas_noop_1p'] = pairs.replicated.medians.noop_1p;
    drains['with_local_replicas_worker_1p'] = pairs.replicated.medians.worker_1p;
    const worker = pairs.alone.medians.worker_1p.perS;
    const figures: Record<string, number> = {
      stored_per_s: Math.round(worker),
      noop_per_s: Math.round(pairs.alone.medians.noop_1p.perS),
      insert_per_s: Math.round(insert),
    };
    for (const [suffix, read] of FIGURES_PER_DRAIN) {
      for (const [name, drain] of Object.entries(drains)) {
        const value = read(drain);
        if (value !== undefined) figures[`${name}_${suffix}`] = Math.round(value);
      }
    }
    const ratios = {
      worker_vs_noop: Number(pairs.alone.ratio.toFixed(3)),
      worker_vs_insert: ratio(worker, insert),
      with_local_replicas_worker_vs_noop: Number(pairs.replicated.ratio.toFixed(3)),
    };
    const { path } = writeBenchReport('worker', {
      settings: {
        jobs: JOBS,
        concurrency: CONCURRENCY,
        batchSize: BATCH_SIZE,
        rounds: ROUNDS,
        nodeFlags: nodeFlagsFor('worker').join(' '),
        statistic: 'median of alternated 1-process rounds, after a warm-up pair',
        database: 'a primary of its own, no replica (with_local_replicas_*: the stack primary, 2 replicas on the same cores)',
      },
      figures,
      ratios,
    });
    console.table(figures);
    console.table(ratios);
    console.log(`1-process worker/no-op ratio per round: primary alone ${pairs.alone.ratios.join(', ')}; with local replicas ${pairs.replicated.ratios.join(', ')}`);
    console.log('targets: worker_vs_noop >= 0.8, stored_per_s >= 5000');
    console.log(`written to ${path}`);
  } finally {
    await stack.drop();
    await own.drop();
    await alone.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
