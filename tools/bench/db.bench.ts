/**
 * bench:db — the same indexed point read through the replica router and
 * through a bare pg Pool on the same replica, same pool settings, same
 * concurrency, same duration, in the same run. Target: router_vs_pool >= 0.9.
 *
 *   npx tsx tools/bench/db.bench.ts        (BENCH_DURATION_S, BENCH_CONCURRENCY to change the load)
 *
 * Needs the local stack (npm run stack:up) or DATABASE_URL / DATABASE_REPLICA_URLS.
 * Runs on a database of its own, cloned from the migrated template and dropped after.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { Registry } from 'prom-client';
import { DEFAULT_POOL_SETTINGS, poolConfig, ReplicaRouter, type DbLogger } from '@formscale/db';
import { createTestDatabase } from '@formscale/db/testing';

const settings = {
  // Requests in flight at once, for both contestants.
  connections: Number(process.env['BENCH_CONCURRENCY'] ?? 50),
  // Total time per contestant, cut into one-second rounds that alternate
  // (ABBA order), so load from elsewhere on the machine hits both alike.
  durationSeconds: Number(process.env['BENCH_DURATION_S'] ?? 20),
  roundSeconds: 1,
  statistic: 'median of the rounds',
  warmupSeconds: 2,
  // Both use the router's default pool settings (max connections per node).
  poolMax: DEFAULT_POOL_SETTINGS.max,
  rows: 10_000,
};

const POINT_READ = 'SELECT id, slug, title, status, published_version FROM forms WHERE id = $1';

type Query = (text: string, values: unknown[]) => Promise<unknown>;

const silent: DbLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** `connections` loops, each awaiting one read at a time, for `seconds`; returns reads completed. */
async function load(query: Query, ids: string[], seconds: number): Promise<number> {
  const end = Date.now() + seconds * 1000;
  let done = 0;
  let next = 0;
  const loop = async () => {
    while (Date.now() < end) {
      await query(POINT_READ, [ids[next++ % ids.length]]);
      done++;
    }
  };
  await Promise.all(Array.from({ length: settings.connections }, loop));
  return done;
}

async function waitForRows(url: string, count: number): Promise<void> {
  const pool = new Pool({ connectionString: url, max: 1 });
  try {
    for (;;) {
      const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM forms');
      if (rows[0].n >= count) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await pool.end();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function writeReport(figures: Record<string, number>, ratios: Record<string, number>): string {
  const file = join(process.cwd(), 'reports', 'bench', 'db.json');
  mkdirSync(join(process.cwd(), 'reports', 'bench'), { recursive: true });
  const report = {
    bench: 'db',
    at: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.version },
    settings,
    figures,
    ratios,
  };
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}

async function main(): Promise<void> {
  const db = await createTestDatabase({ label: 'bench' });
  const [replicaUrl] = db.replicaUrls;
  if (replicaUrl === undefined) throw new Error('bench:db needs at least one replica (DATABASE_REPLICA_URLS)');
  const seed = new Pool({ connectionString: db.url, max: 1 });
  const ids = (
    await seed.query<{ id: string }>(
      `INSERT INTO forms (slug, title) SELECT 'bench-' || g, 'Form ' || g FROM generate_series(1, $1::int) g RETURNING id`,
      [settings.rows],
    )
  ).rows.map((row) => row.id);
  await seed.query('ANALYZE forms');
  await seed.end();
  await Promise.all(db.replicaUrls.map((url) => waitForRows(url, settings.rows)));

  const pool = new Pool(poolConfig(replicaUrl, 'formscale:bench-pool', DEFAULT_POOL_SETTINGS));
  // The router on that one replica: the ratio is the router's own cost, not a second server's help.
  const router = new ReplicaRouter({
    primaryUrl: db.url,
    replicaUrls: [replicaUrl],
    registry: new Registry(),
    logger: silent,
    applicationName: 'formscale:bench',
  });
  try {
    await router.start();
    const viaPool: Query = (text, values) => pool.query(text, values);
    const viaRouter: Query = (text, values) => router.read(text, values);

    for (const query of [viaPool, viaRouter]) await load(query, ids, settings.warmupSeconds);
    const poolRates: number[] = [];
    const routerRates: number[] = [];
    const rounds = Math.max(1, Math.round(settings.durationSeconds / settings.roundSeconds));
    const rate = async (query: Query) => (await load(query, ids, settings.roundSeconds)) / settings.roundSeconds;
    for (let round = 0; round < rounds; round++) {
      const poolFirst = round % 4 === 0 || round % 4 === 3;
      if (poolFirst) poolRates.push(await rate(viaPool));
      routerRates.push(await rate(viaRouter));
      if (!poolFirst) poolRates.push(await rate(viaPool));
    }
    const seconds = rounds * settings.roundSeconds;
    // The median round: a burst of load from elsewhere on the machine moves one round, not the figure.
    const figures: Record<string, number> = {
      pool_reads_per_s: Math.round(median(poolRates)),
      router_reads_per_s: Math.round(median(routerRates)),
    };
    const fellBack = router.stats().find((n) => n.role === 'primary')?.queries ?? 0;
    const ratios = { router_vs_pool: Number((figures['router_reads_per_s'] / figures['pool_reads_per_s']).toFixed(3)) };
    const file = writeReport(figures, ratios);

    console.log(
      `\nbench:db  ${settings.connections} reads in flight, ${seconds} s each in alternating ${settings.roundSeconds} s rounds ` +
        `(median round shown), pool max ${settings.poolMax}\n`,
    );
    const row = (rates: number[]) => ({
      'median reads/s': Math.round(median(rates)),
      'slowest round': Math.round(Math.min(...rates)),
      'fastest round': Math.round(Math.max(...rates)),
    });
    console.table({ 'bare pg Pool, one replica': row(poolRates), 'router, same replica': row(routerRates) });
    console.log(`router_vs_pool = ${ratios.router_vs_pool} (target >= 0.9)${fellBack > 0 ? `; ${fellBack} reads fell back to the primary` : ''}`);
    console.log(`written to ${file}`);
  } finally {
    await Promise.allSettled([router.stop(), pool.end()]);
    await db.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
