/**
 * bench:api — the real forms API (built, as a child process, against the
 * local stack) against a bare Fastify server with the same two routes, same
 * load, same run:
 *
 *   GET  /api/forms/:id               a published, cached form    target get_vs_fastify  >= 0.5
 *   POST /api/forms/:id/submissions   a valid submission, queued  target post_vs_fastify >= 0.35
 *
 *   npx tsx --tsconfig tsconfig.base.json tools/bench/api.bench.ts
 *   (BENCH_CONNECTIONS, BENCH_DURATION_S to change the load; BENCH_SKIP_BUILD=1 to reuse dist/)
 *
 * BENCH_PROFILE=1 writes CPU profiles of the API process to reports/bench/profiles/ (open in Chrome DevTools).
 *
 * Needs the local stack (npm run stack:up) or DATABASE_URL / DATABASE_REPLICA_URLS / REDIS_URL.
 * Runs on a database of its own and a queue prefix of its own; both are removed after.
 */
import autocannon from 'autocannon';
import { Queue } from 'bullmq';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SUBMISSIONS_QUEUE } from '@formscale/contracts';
import { createTestDatabase } from '@formscale/db/testing';

const settings = {
  // Same for every contestant: closed-loop load, one request in flight per connection.
  connections: Number(process.env['BENCH_CONNECTIONS'] ?? 50),
  durationSeconds: Number(process.env['BENCH_DURATION_S'] ?? 10),
  // The duration is cut into rounds that alternate between the two servers
  // (ABBA order), so load from elsewhere on the machine hits both alike.
  roundSeconds: 2,
  statistic: 'median round',
  // Lets both servers JIT-compile their hot paths before the measured rounds.
  warmupSeconds: 2,
  apiLogLevel: 'warn',
  // So the per-IP limit (all load comes from 127.0.0.1) never answers 429 in the run.
  rateLimitSubmissions: 1_000_000_000,
};

const ADMIN_KEY = `bench-${randomBytes(12).toString('hex')}`;
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const SUBMISSION = JSON.stringify({ name: 'Ada Lovelace', email: 'ada@example.com', age: 36, plan: 'pro', agree: true });
const FIELDS = [
  { name: 'name', type: 'text', required: true, minLength: 2, maxLength: 80 },
  { name: 'email', type: 'email', required: true },
  { name: 'age', type: 'integer', min: 18, max: 120 },
  { name: 'plan', type: 'select', options: ['free', 'pro'] },
  { name: 'agree', type: 'checkbox', required: true },
];

interface Figures {
  rate: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}

async function waitForHttp(url: string, child: ChildProcess, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode} before answering`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${what} did not answer ${url} within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function startApi(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const profile = process.env['BENCH_PROFILE'] === '1' ? ['--cpu-prof', `--cpu-prof-dir=${join(process.cwd(), 'reports', 'bench', 'profiles')}`] : [];
  const child = spawn(process.execPath, [...profile, 'dist/apps/forms-api/main.js'], {
    env: { ...process.env, ...env, FORMS_API_PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/health/live`, child, 'forms-api');
  return { child, url };
}

async function startBaseline(formJson: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'tools/bench/api-baseline-server.ts'], {
    env: { ...process.env, BASELINE_FORM_JSON: formJson },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (child.stdout === null) throw new Error('baseline server has no stdout');
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`baseline server exited with code ${code}`)));
  });
  lines.close();
  const { port } = JSON.parse(first) as { port: number };
  return { child, url: `http://127.0.0.1:${port}` };
}

async function admin(url: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { 'x-api-key': ADMIN_KEY, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

function cannon(url: string, request: { method: 'GET' | 'POST'; body?: string }, seconds: number): Promise<Figures> {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        connections: settings.connections,
        duration: seconds,
        method: request.method,
        body: request.body,
        headers: request.body === undefined ? {} : { 'content-type': 'application/json' },
      },
      (error, result) => {
        if (error) return reject(error);
        resolve({
          rate: Math.round(result.requests.average),
          p50: result.latency.p50,
          p99: result.latency.p99,
          non2xx: result.non2xx,
          errors: result.errors + result.timeouts,
        });
      },
    );
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  const upper = sorted[middle] ?? 0;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] ?? upper) + upper) / 2;
}

/** The median round of each; rounds alternate baseline and system in ABBA order. */
async function compare(baselineUrl: string, systemUrl: string, request: { method: 'GET' | 'POST'; body?: string }): Promise<[Figures, Figures]> {
  await cannon(baselineUrl, request, settings.warmupSeconds);
  await cannon(systemUrl, request, settings.warmupSeconds);
  const baseline: Figures[] = [];
  const system: Figures[] = [];
  const rounds = Math.max(1, Math.round(settings.durationSeconds / settings.roundSeconds));
  for (let round = 0; round < rounds; round++) {
    const baselineFirst = round % 4 === 0 || round % 4 === 3;
    if (baselineFirst) baseline.push(await cannon(baselineUrl, request, settings.roundSeconds));
    system.push(await cannon(systemUrl, request, settings.roundSeconds));
    if (!baselineFirst) baseline.push(await cannon(baselineUrl, request, settings.roundSeconds));
  }
  const summary = (runs: Figures[]): Figures => ({
    rate: Math.round(median(runs.map((run) => run.rate))),
    p50: median(runs.map((run) => run.p50)),
    p99: median(runs.map((run) => run.p99)),
    non2xx: runs.reduce((sum, run) => sum + run.non2xx, 0),
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
  });
  return [summary(baseline), summary(system)];
}

function writeReport(figures: Record<string, number>, ratios: Record<string, number>): string {
  const dir = join(process.cwd(), 'reports', 'bench');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'api.json');
  const report = { bench: 'api', at: new Date().toISOString(), machine: { cpus: cpus().length, node: process.version }, settings, figures, ratios };
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}

async function main(): Promise<void> {
  if (process.env['BENCH_SKIP_BUILD'] !== '1') {
    console.log('building forms-api (npx nx build forms-api) ...');
    execFileSync('npx', ['nx', 'build', 'forms-api', '--outputStyle=static'], { stdio: 'ignore', env: { ...process.env, NX_DAEMON: 'false' } });
  }
  const db = await createTestDatabase({ label: 'bench-api' });
  const queuePrefix = `{bench-api-${randomBytes(4).toString('hex')}}`;
  let api: { child: ChildProcess; url: string } | undefined;
  let baseline: { child: ChildProcess; url: string } | undefined;
  try {
    api = await startApi({
      LOG_LEVEL: settings.apiLogLevel,
      DATABASE_URL: db.url,
      DATABASE_REPLICA_URLS: db.replicaUrls.join(','),
      REDIS_URL,
      QUEUE_PREFIX: queuePrefix,
      ADMIN_API_KEYS: ADMIN_KEY,
      RATE_LIMIT_SUBMISSIONS: String(settings.rateLimitSubmissions),
    });
    const { id } = (await admin(api.url, 'POST', '/api/admin/forms', { slug: 'bench', title: 'Bench form', fields: FIELDS })) as { id: string };
    await admin(api.url, 'POST', `/api/admin/forms/${id}/publish`);
    const formJson = await (await fetch(`${api.url}/api/forms/${id}`)).text();
    baseline = await startBaseline(formJson);

    const get = { method: 'GET' as const };
    const post = { method: 'POST' as const, body: SUBMISSION };
    const [fastifyGet, apiGet] = await compare(`${baseline.url}/api/forms/${id}`, `${api.url}/api/forms/${id}`, get);
    const [fastifyPost, apiPost] = await compare(`${baseline.url}/api/forms/${id}/submissions`, `${api.url}/api/forms/${id}/submissions`, post);
    const results = {
      'GET form, bare Fastify': fastifyGet,
      'GET form, forms-api': apiGet,
      'POST submit, bare Fastify': fastifyPost,
      'POST submit, forms-api': apiPost,
    };
    const figures = {
      fastify_get_per_s: fastifyGet.rate,
      api_get_per_s: apiGet.rate,
      fastify_post_per_s: fastifyPost.rate,
      api_post_per_s: apiPost.rate,
      fastify_get_p50_ms: fastifyGet.p50,
      fastify_get_p99_ms: fastifyGet.p99,
      api_get_p50_ms: apiGet.p50,
      api_get_p99_ms: apiGet.p99,
      fastify_post_p50_ms: fastifyPost.p50,
      fastify_post_p99_ms: fastifyPost.p99,
      api_post_p50_ms: apiPost.p50,
      api_post_p99_ms: apiPost.p99,
      api_non_2xx: apiGet.non2xx + apiPost.non2xx,
      api_errors: apiGet.errors + apiPost.errors,
    };
    const ratios = {
      get_vs_fastify: Number((apiGet.rate / fastifyGet.rate).toFixed(3)),
      post_vs_fastify: Number((apiPost.rate / fastifyPost.rate).toFixed(3)),
    };
    const file = writeReport(figures, ratios);

    console.log(
      `\nbench:api  ${settings.connections} connections, ${settings.durationSeconds} s each in alternating ${settings.roundSeconds} s rounds ` +
        `(median round shown) after ${settings.warmupSeconds} s warm-up\n`,
    );
    console.table(
      Object.fromEntries(
        Object.entries(results).map(([name, r]) => [name, { 'req/s': r.rate, 'p50 ms': r.p50, 'p99 ms': r.p99, 'non-2xx': r.non2xx, errors: r.errors }]),
      ),
    );
    console.log(`get_vs_fastify  = ${ratios.get_vs_fastify} (target >= 0.5)`);
    console.log(`post_vs_fastify = ${ratios.post_vs_fastify} (target >= 0.35)`);
    if (figures.api_non_2xx > 0 || figures.api_errors > 0) {
      console.log(`warning: forms-api answered ${figures.api_non_2xx} non-2xx and ${figures.api_errors} errors; its rates are not comparable`);
      process.exitCode = 1;
    }
    console.log(`written to ${file}`);
  } finally {
    await Promise.all([stop(api?.child), stop(baseline?.child)]);
    const queue = new Queue(SUBMISSIONS_QUEUE, { connection: { ...redisConnection(REDIS_URL) }, prefix: queuePrefix });
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await db.drop();
  }
}

function redisConnection(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: parsed.port === '' ? 6379 : Number(parsed.port) };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
