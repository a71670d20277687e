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
 * next to each rate the CPU time the consumer processes spent per job is reported:
 * wall-clock rates move with whatever else runs, CPU per job is what the consumer
 * itself costs.
 *
 *   npx tsx --tsconfig tsconfig.base.json tools/bench/worker.bench.ts   (needs the stack and `npx nx build worker`)
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { WEBHOOKS_QUEUE } from '@formscale/contracts';
import { createPublishedForm, createTestDatabase, startThrowawayPrimary } from '@formscale/db/testing';
import { Queue } from 'bullmq';
import { Pool } from 'pg';
import { enqueueSubmissions, REDIS_URL, submissionJob, submissionQueue, testQueuePrefix } from '@formscale/queue/testing';
import { startAppProcess, type AppProcess } from '@formscale/observability/testing';
import { median } from './report';

const JOBS = Number(process.env['BENCH_JOBS'] ?? 50_000);
const CONCURRENCY = Number(process.env['WORKER_CONCURRENCY'] ?? 400);
const BATCH_SIZE = Number(process.env['WORKER_BATCH_SIZE'] ?? 200);
const POLL_MS = 50;
const PROCESSES = [1, 2, 4] as const;
/**
 * The 1-process worker and no-op drains, alternated (ABBA) this many times on
 * each database; the medians are reported. One drain lasts seconds, and on a
 * shared machine one pair alone moved the ratio by 0.1 between runs.
 */
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
/** addBulk calls in flight while preparing a queue: preparing is not measured, only waited for. */
const ENQUEUE_LANES = 4;
/** Linux reports process CPU time in clock ticks of 1/100 s (USER_HZ). */
const CLOCK_TICKS_PER_S = 100;

const NOOP_WORKER = `
const { Worker } = require('bullmq');
const worker = new Worker('submissions', async () => undefined, {
  connection: { url: process.env.REDIS_URL }, prefix: process.env.QUEUE_PREFIX,
  concurrency: Number(process.env.WORKER_CONCURRENCY),
  removeOnComplete: { age: 3600, count: 10000 },
});
worker.waitUntilReady().then(() => console.log('listening on noop'));
process.on('SIGTERM', () => worker.close().then(() => process.exit(0)));
`;

interface Drain {
  perS: number;
  /** CPU time of the consumer processes per job, where /proc is readable. */
  cpuUsPerJob: number | undefined;
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

function totalCpuSeconds(pids: readonly number[]): number | undefined {
  let total = 0;
  for (const pid of pids) {
    const seconds = cpuSeconds(pid);
    if (seconds === undefined) return undefined;
    total += seconds;
  }
  return total;
}

async function remaining(queue: Queue): Promise<number> {
  const counts = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized');
  return Object.values(counts).reduce((sum, count) => sum + count, 0);
}

/** Enqueues JOBS submissions on a paused queue; returns it with a resume-and-time function. */
async function preparedQueue(databaseUrl: string): Promise<{ queue: Queue; prefix: string; formId: string }> {
  const prefix = testQueuePrefix('bench');
  const queue = submissionQueue(prefix);
  await queue.pause();
  const formId = await createPublishedForm(databaseUrl);
  const jobs = Array.from({ length: JOBS }, (_, index) => submissionJob(formId, index));
  const lane = Math.ceil(JOBS / ENQUEUE_LANES);
  await Promise.all(
    Array.from({ length: ENQUEUE_LANES }, (_, index) => enqueueSubmissions(queue, jobs.slice(index * lane, (index + 1) * lane))),
  );
  return { queue, prefix, formId };
}

/** Resumes the prepared queue and waits until the consumer processes (pids) have emptied it. */
async function drain(queue: Queue, pids: readonly number[]): Promise<Drain> {
  const cpuBefore = totalCpuSeconds(pids);
  const started = performance.now();
  await queue.resume();
  while ((await remaining(queue)) > 0) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  const perS = JOBS / ((performance.now() - started) / 1000);
  const cpuAfter = totalCpuSeconds(pids);
  const cpuUsPerJob = cpuBefore === undefined || cpuAfter === undefined ? undefined : ((cpuAfter - cpuBefore) / JOBS) * 1e6;
  return { perS, cpuUsPerJob };
}

async function workerRate(databaseUrl: string, processes: number): Promise<Drain> {
  const { queue, prefix } = await preparedQueue(databaseUrl);
  const env = {
    DATABASE_URL: databaseUrl,
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
    return await drain(queue, workers.map((worker) => worker.pid));
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

async function noopRate(databaseUrl: string, processes: number): Promise<Drain> {
  const { queue, prefix } = await preparedQueue(databaseUrl);
  const children = Array.from({ length: processes }, () =>
    spawn(process.execPath, ['-e', NOOP_WORKER], {
      env: { ...process.env, REDIS_URL, QUEUE_PREFIX: prefix, WORKER_CONCURRENCY: String(CONCURRENCY) },
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
    return await drain(queue, children.map((child) => child.pid ?? -1));
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

/** ROUNDS of one no-op and one worker drain on a database, in ABBA order so drift hits both alike. */
async function alternatedPairs(databaseUrl: string): Promise<Pairs> {
  const noops: Drain[] = [];
  const workers: Drain[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    if (round % 2 === 0) {
      noops.push(await noopRate(databaseUrl, 1));
      workers.push(await workerRate(databaseUrl, 1));
    } else {
      workers.push(await workerRate(databaseUrl, 1));
      noops.push(await noopRate(databaseUrl, 1));
    }
  }
  const medianDrain = (drains: Drain[]): Drain => {
    const cpu = drains.map((drain) => drain.cpuUsPerJob);
    return {
      perS: median(drains.map((drain) => drain.perS)),
      cpuUsPerJob: cpu.every((value) => value !== undefined) ? median(cpu as number[]) : undefined,
    };
  };
  const ratios = workers.map((drain, round) => Number((drain.perS / (noops[round]?.perS ?? Infinity)).toFixed(3)));
  return { medians: { noop_1p: medianDrain(noops), worker_1p: medianDrain(workers) }, ratios, ratio: median(ratios) };
}

async function main(): Promise<void> {
  // initdb and pg_ctl run as the postgres user, which takes root (runuser).
  const alone = await startThrowawayPrimary().catch((error: unknown) => {
    throw new Error(
      `bench:worker needs a PostgreSQL primary of its own and could not start one (${error instanceof Error ? error.message : String(error)}); ` +
        'run it as root, like npm test, with the PostgreSQL server binaries installed (npm run system-deps)',
    );
  });
  const db = await createTestDatabase({ label: 'bench-worker', primaryUrl: alone.url('postgres'), replicaUrls: [] });
  // The stack's primary: its replicas replay every row the worker writes, on these cores.
  const replicated = await createTestDatabase({ label: 'bench-worker-replicated', replicaUrls: [] });
  try {
    const insert = await insertRate(db.url);
    const drains: Record<string, Drain> = {};
    const pairs = { alone: await alternatedPairs(db.url), replicated: await alternatedPairs(replicated.url) };
    for (const processes of PROCESSES.filter((count) => count > 1)) {
      drains[`noop_${processes}p`] = await noopRate(db.url, processes);
      drains[`worker_${processes}p`] = await workerRate(db.url, processes);
    }
    Object.assign(drains, pairs.alone.medians);
    drains['with_local_replicas_noop_1p'] = pairs.replicated.medians.noop_1p;
    drains['with_local_replicas_worker_1p'] = pairs.replicated.medians.worker_1p;
    const rate = (name: string) => drains[name]?.perS ?? 0;
    const worker = rate('worker_1p');
    const noop = rate('noop_1p');
    const figures: Record<string, number> = {
      stored_per_s: Math.round(worker),
      noop_per_s: Math.round(noop),
      insert_per_s: Math.round(insert),
    };
    for (const [name, { perS }] of Object.entries(drains)) figures[`${name}_per_s`] = Math.round(perS);
    for (const [name, { cpuUsPerJob }] of Object.entries(drains)) {
      if (cpuUsPerJob !== undefined) figures[`${name}_cpu_us_per_job`] = Math.round(cpuUsPerJob);
    }
    const ratios = {
      worker_vs_noop: Number(pairs.alone.ratio.toFixed(3)),
      worker_vs_insert: Number((worker / insert).toFixed(3)),
      with_local_replicas_worker_vs_noop: Number(pairs.replicated.ratio.toFixed(3)),
    };
    const report = {
      bench: 'worker',
      at: new Date().toISOString(),
      machine: { cpus: cpus().length, node: process.version },
      settings: { jobs: JOBS, concurrency: CONCURRENCY, batchSize: BATCH_SIZE, rounds: ROUNDS, statistic: 'median of alternated 1-process rounds', database: 'a primary of its own, no replica (with_local_replicas_*: the stack primary, 2 replicas on the same cores)' },
      figures,
      ratios,
    };
    console.table(figures);
    console.table(ratios);
    console.log(`1-process worker/no-op ratio per round: primary alone ${pairs.alone.ratios.join(', ')}; with local replicas ${pairs.replicated.ratios.join(', ')}`);
    console.log('targets: worker_vs_noop >= 0.8, stored_per_s >= 5000');
    const dir = join(__dirname, '../../reports/bench');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'worker.json'), `${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await replicated.drop();
    await db.drop();
    await alone.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
