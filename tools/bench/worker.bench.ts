/*
 * bench:worker — how fast one worker process turns queued submissions into rows,
 * against two baselines on the same 50,000 jobs in the same run:
 *   noop:   a BullMQ worker (own process, same concurrency) that completes each job doing nothing;
 *   insert: the same rows written by raw multi-row INSERTs of the same batch size, no queue at all.
 * Then the rate with 1, 2 and 4 worker processes. Writes reports/bench/worker.json.
 *
 *   npx tsx --tsconfig tsconfig.base.json tools/bench/worker.bench.ts   (needs the stack and `npx nx build worker`)
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { createPublishedForm, createTestDatabase } from '@formscale/db/testing';
import type { Queue } from 'bullmq';
import { Pool } from 'pg';
import { enqueueSubmissions, REDIS_URL, submissionJob, submissionQueue, testQueuePrefix } from '@formscale/queue/testing';
import { startAppProcess, type AppProcess } from '@formscale/observability/testing';

const JOBS = Number(process.env['BENCH_JOBS'] ?? 50_000);
const CONCURRENCY = Number(process.env['WORKER_CONCURRENCY'] ?? 400);
const BATCH_SIZE = Number(process.env['WORKER_BATCH_SIZE'] ?? 200);
const POLL_MS = 50;

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
  await enqueueSubmissions(queue, Array.from({ length: JOBS }, (_, index) => submissionJob(formId, index)));
  return { queue, prefix, formId };
}

async function drainRate(queue: Queue): Promise<number> {
  const started = performance.now();
  await queue.resume();
  while ((await remaining(queue)) > 0) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  return JOBS / ((performance.now() - started) / 1000);
}

async function workerRate(databaseUrl: string, processes: number): Promise<number> {
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
    return await drainRate(queue);
  } finally {
    for (const worker of workers) worker.kill('SIGTERM');
    await Promise.all(workers.map((worker) => worker.exited));
    await queue.obliterate({ force: true });
    await queue.close();
  }
}

async function noopRate(databaseUrl: string): Promise<number> {
  const { queue, prefix } = await preparedQueue(databaseUrl);
  const child = spawn(process.execPath, ['-e', NOOP_WORKER], {
    env: { ...process.env, REDIS_URL, QUEUE_PREFIX: prefix, WORKER_CONCURRENCY: String(CONCURRENCY) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await new Promise<void>((resolve) => child.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('listening') && resolve()));
    return await drainRate(queue);
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.on('exit', resolve));
    await queue.obliterate({ force: true });
    await queue.close();
  }
}

/** The same rows and statement shape as the worker's batch, straight into PostgreSQL, as many batches in flight as the worker has. */
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

async function main(): Promise<void> {
  const db = await createTestDatabase({ label: 'bench-worker', replicaUrls: [] });
  try {
    const noop = await noopRate(db.url);
    const insert = await insertRate(db.url);
    const byProcesses: Record<string, number> = {};
    for (const processes of [1, 2, 4]) byProcesses[`worker_${processes}p_per_s`] = await workerRate(db.url, processes);
    const worker = byProcesses['worker_1p_per_s'] ?? 0;
    const figures = {
      stored_per_s: Math.round(worker),
      noop_per_s: Math.round(noop),
      insert_per_s: Math.round(insert),
      ...Object.fromEntries(Object.entries(byProcesses).map(([key, value]) => [key, Math.round(value)])),
    };
    const ratios = {
      worker_vs_noop: Number((worker / noop).toFixed(3)),
      worker_vs_insert: Number((worker / insert).toFixed(3)),
    };
    const report = {
      bench: 'worker',
      at: new Date().toISOString(),
      machine: { cpus: cpus().length, node: process.version },
      settings: { jobs: JOBS, concurrency: CONCURRENCY, batchSize: BATCH_SIZE },
      figures,
      ratios,
    };
    console.table(figures);
    console.table(ratios);
    console.log('targets: worker_vs_noop >= 0.8, stored_per_s >= 5000');
    const dir = join(__dirname, '../../reports/bench');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'worker.json'), `${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await db.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
