/**
 * bench:cache — the multi-layer cache against its floor and its peer, in one run with the
 * same keys and values:
 *   L1 hit:  getOrSet  vs  raw lru-cache get (floor)  vs  BentoCache getOrSet (peer)
 *   L2 hit:  getOrSet with L1 off  vs  raw ioredis GET + JSON.parse
 *   stampede: 100 concurrent getOrSet of one cold key: loader calls and time
 * Run: npx tsx tools/bench/cache.bench.ts   (REDIS_URL, default redis://127.0.0.1:6379)
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { MultiLayerCache } from '@formscale/cache';
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { redisDriver } from 'bentocache/drivers/redis';
import { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { pino } from 'pino';
import { measureAsync, measureConcurrent, measureSync, median, printTable, type Rate, ratio, settle, writeBenchReport } from './report';

const settings = {
  redisUrl: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
  keys: 1_000,
  valueBytes: 1_024,
  durationMs: Number(process.env['BENCH_DURATION_MS'] ?? 1_000),
  rounds: Number(process.env['BENCH_ROUNDS'] ?? 5),
  l2Concurrency: 32,
  stampedeCallers: 100,
  stampedeLoaderMs: 20,
  bentocacheL1: 'memoryDriver serialize:false (its fastest L1)',
};

const keyPrefix = `bench:cache:${process.pid}:`;
const keys = Array.from({ length: settings.keys }, (_, i) => `form:${i}`);

function makeValue(i: number): Record<string, unknown> {
  const value = { id: i, title: `Form ${i}`, fields: [] as Array<{ name: string; type: string }> };
  while (JSON.stringify(value).length < settings.valueBytes) {
    value.fields.push({ name: `field_${value.fields.length}`, type: 'text' });
  }
  return value;
}
const values = keys.map((_, i) => makeValue(i));
const loadValue = (i: number) => () => values[i];

const quiet = pino({ level: 'error' });

type Contender = 'ours' | 'lru' | 'bento' | 'oursL2' | 'ioredis';

async function main(): Promise<void> {
  const ours = new MultiLayerCache({ keyPrefix: `${keyPrefix}l1:`, redisUrl: settings.redisUrl, logger: quiet });
  const oursL2 = new MultiLayerCache({ keyPrefix: `${keyPrefix}l2:`, redisUrl: settings.redisUrl, logger: quiet, l1: false });
  if (!(await ours.ready()) || !(await oursL2.ready())) {
    throw new Error(`Redis at ${settings.redisUrl} does not answer: start it (npm run stack:up) or set REDIS_URL`);
  }
  const lru = new LRUCache<string, object>({ max: 10_000 });
  const bentoRedis = new Redis(settings.redisUrl);
  const bento = new BentoCache({
    default: 'cache',
    prefix: `${keyPrefix}bento`,
    stores: {
      cache: bentostore()
        .useL1Layer(memoryDriver({ maxItems: 10_000, serialize: false }))
        .useL2Layer(redisDriver({ connection: bentoRedis })),
    },
  });
  const raw = new Redis(settings.redisUrl);

  // Same keys and values everywhere; every store warmed so the loops below only hit.
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    await ours.getOrSet(key, loadValue(i));
    await oursL2.getOrSet(key, loadValue(i));
    lru.set(key, values[i] as object);
    await bento.getOrSet({ key, factory: loadValue(i), ttl: '10m' });
    await raw.set(`${keyPrefix}raw:${key}`, JSON.stringify(values[i]), 'PX', 600_000);
  }
  const K = keys.length;
  const noLoad = (): never => {
    throw new Error('bench loop missed the cache');
  };

  const rates: Record<Contender, Rate[]> = { ours: [], lru: [], bento: [], oursL2: [], ioredis: [] };
  const phases: Record<Contender, () => Rate | Promise<Rate>> = {
    lru: () => measureSync((i) => lru.get(keys[i % K] as string), settings.durationMs),
    ours: () => measureAsync((i) => ours.getOrSet(keys[i % K] as string, noLoad), settings.durationMs),
    bento: () => measureAsync((i) => bento.getOrSet({ key: keys[i % K] as string, factory: noLoad, ttl: '10m' }), settings.durationMs),
    oursL2: () => measureConcurrent((i) => oursL2.getOrSet(keys[i % K] as string, noLoad), settings.l2Concurrency, settings.durationMs),
    ioredis: () =>
      measureConcurrent(
        async (i) => JSON.parse((await raw.get(`${keyPrefix}raw:${keys[i % K]}`)) as string),
        settings.l2Concurrency,
        settings.durationMs,
      ),
  };
  const order: Contender[] = ['lru', 'ours', 'bento', 'oursL2', 'ioredis'];
  for (let round = 0; round < settings.rounds; round++) {
    // Every other round runs in reverse, so no contender always follows the same neighbour.
    for (const contender of round % 2 === 0 ? order : [...order].reverse()) {
      await settle();
      rates[contender].push(await phases[contender]());
    }
  }
  const perS = (name: Contender): number => median(rates[name].map((rate) => rate.perS));
  const perCpuS = (name: Contender): number => median(rates[name].map((rate) => rate.perCpuS));
  const row = (name: Contender): string => `${perS(name).toLocaleString('en-US')} | ${perCpuS(name).toLocaleString('en-US')}`;

  const stampedeOurs = await stampede((key, loader) => ours.getOrSet(key, loader));
  const stampedeOursDistributed = await stampede((key, loader) => ours.getOrSet(key, loader, { distributed: true }));
  const stampedeBento = await stampede((key, loader) => bento.getOrSet({ key, factory: loader, ttl: '10m' }));
  const stampedeNoCache = await stampede((_key, loader) => loader());

  const figures = {
    l1_hit_per_s: perS('ours'),
    lru_get_per_s: perS('lru'),
    bentocache_l1_hit_per_s: perS('bento'),
    l2_hit_per_s: perS('oursL2'),
    ioredis_get_parse_per_s: perS('ioredis'),
    l1_hit_per_cpu_s: perCpuS('ours'),
    lru_get_per_cpu_s: perCpuS('lru'),
    bentocache_l1_hit_per_cpu_s: perCpuS('bento'),
    l2_hit_per_cpu_s: perCpuS('oursL2'),
    ioredis_get_parse_per_cpu_s: perCpuS('ioredis'),
    stampede_loader_calls: stampedeOurs.calls,
    stampede_ms: stampedeOurs.ms,
    stampede_distributed_loader_calls: stampedeOursDistributed.calls,
    stampede_distributed_ms: stampedeOursDistributed.ms,
    bentocache_stampede_loader_calls: stampedeBento.calls,
    bentocache_stampede_ms: stampedeBento.ms,
    no_cache_stampede_loader_calls: stampedeNoCache.calls,
    no_cache_stampede_ms: stampedeNoCache.ms,
  };
  // Ratios are taken on CPU time per operation: on a shared machine, wall-clock rates swing
  // with whatever else runs (the wall-clock figures are reported beside them). Each round
  // runs system and baseline back to back; the median of the per-round ratios is reported.
  const ratios = {
    l1_vs_lru: roundRatio(rates.ours, rates.lru),
    l1_vs_bentocache: roundRatio(rates.ours, rates.bento),
    l2_vs_ioredis: roundRatio(rates.oursL2, rates.ioredis),
  };

  printTable(`bench:cache  (${settings.keys} keys x ${settings.valueBytes} B, median of ${settings.rounds} rounds x ${settings.durationMs} ms)`, [
    ['', 'ops/s (wall) | ops per CPU-second'],
    ['L1 hit, getOrSet', row('ours')],
    ['  raw lru-cache get, floor', row('lru')],
    ['  BentoCache getOrSet L1 hit, peer', row('bento')],
    [`L2 hit, getOrSet L1 off, ${settings.l2Concurrency} concurrent`, row('oursL2')],
    ['  raw ioredis GET + JSON.parse', row('ioredis')],
    [`cold key, ${settings.stampedeCallers} callers: loader calls / ms`, `${stampedeOurs.calls} / ${stampedeOurs.ms}`],
    ['  same, distributed lock', `${stampedeOursDistributed.calls} / ${stampedeOursDistributed.ms}`],
    ['  BentoCache', `${stampedeBento.calls} / ${stampedeBento.ms}`],
    ['  no cache', `${stampedeNoCache.calls} / ${stampedeNoCache.ms}`],
  ]);
  printTable('ratios (system / baseline; targets: l1_vs_lru >= 0.2, l1_vs_bentocache >= 1.0, l2_vs_ioredis >= 0.8)', Object.entries(ratios));
  const { path } = writeBenchReport('cache', { settings, figures, ratios });
  console.log(`\nwrote ${path}`);

  await cleanUp(raw);
  await Promise.all([ours.close(), oursL2.close(), bento.disconnect(), raw.quit()]);
}

function roundRatio(system: Rate[], baseline: Rate[]): number {
  return ratio(median(system.map((rate, round) => rate.perCpuS / (baseline[round]?.perCpuS ?? rate.perCpuS))), 1);
}

let stampedeRun = 0;

/** One cold key, `stampedeCallers` concurrent callers, a loader that takes `stampedeLoaderMs`. */
async function stampede(
  getOrSet: (key: string, loader: () => Promise<object>) => Promise<unknown>,
): Promise<{ calls: number; ms: number }> {
  const key = `cold:${stampedeRun++}`;
  let calls = 0;
  const loader = async (): Promise<object> => {
    calls++;
    await sleep(settings.stampedeLoaderMs);
    return values[0] as object;
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: settings.stampedeCallers }, () => getOrSet(key, loader)));
  return { calls, ms: Math.round((performance.now() - started) * 10) / 10 };
}

async function cleanUp(redis: Redis): Promise<void> {
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 1000);
    cursor = next;
    if (found.length > 0) {
      await redis.unlink(...found);
    }
  } while (cursor !== '0');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
