/*
 * Origin offload of the edge worker: replays a read-heavy, Zipf-distributed
 * trace through the worker in workerd (Miniflare) in front of an origin that
 * sends forms-api's headers, counts what reached the origin, and prints the
 * figures next to the seed's claims (85 % fewer origin requests, 95 % hit rate).
 *   npx tsx --tsconfig tsconfig.base.json infra/cdn/offload.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { EDGE_HOST, startEdge, startStandInOrigin } from './src/edge-runtime';
import { makeTrace, replayTrace, type TraceSettings } from './src/offload-trace';

const SEED_CLAIMS = { offload: 0.85, hitRate: 0.95 };

// 2,000 forms and 10,000 requests: enough for the Zipf tail to matter, a minute or so on two cores.
const settings: TraceSettings = { forms: 2_000, requests: 10_000, zipfExponent: 1, writeShare: 0.05, junkQueryShare: 0.2, seed: 20261127 };

async function main(): Promise<void> {
  const origin = await startStandInOrigin();
  const edge = await startEdge({ ORIGIN_URL: origin.url });
  try {
    const counts = await replayTrace(makeTrace(settings), edge, origin, EDGE_HOST);
    const pct = (value: number) => `${(value * 100).toFixed(1)} %`;
    console.log(`trace: ${settings.requests} requests over ${settings.forms} forms, Zipf s=${settings.zipfExponent}, ${pct(settings.writeShare)} submissions, ${pct(settings.junkQueryShare)} reads with random query strings`);
    console.log(`edge answers: ${JSON.stringify(counts.byStatus)}; origin requests: ${counts.originRequests}`);
    console.log('figure            measured   seed claim');
    console.log(`origin offload    ${pct(counts.offload).padStart(8)}   ${pct(SEED_CLAIMS.offload)}`);
    console.log(`edge hit rate     ${pct(counts.hitRate).padStart(8)}   ${pct(SEED_CLAIMS.hitRate)}`);
    const report = {
      bench: 'cdn-offload',
      at: new Date().toISOString(),
      machine: { cpus: cpus().length, node: process.version },
      settings,
      figures: { requests: counts.requests, origin_requests: counts.originRequests, offload: counts.offload, hit_rate: counts.hitRate },
      // Baseline: no edge, where every request reaches the origin.
      ratios: { origin_requests_vs_no_edge: counts.originRequests / counts.requests },
    };
    mkdirSync(join(process.cwd(), 'reports/bench'), { recursive: true });
    writeFileSync(join(process.cwd(), 'reports/bench/cdn-offload.json'), `${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await edge.close();
    await origin.close();
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
