import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { SAMPLE_INTERVAL_MS } from '@formscale/config';
import { runAutocannon } from './autocannon-driver';
import { dbFigures, nodeName, readDbCounters, type DbFigures } from './db-activity';
import { verifyExactlyOnce, type ExactlyOnceResult } from './exactly-once';
import { checkFormRead, createPublishedForms } from './forms-setup';
import { ensureOpenFiles } from './open-files';
import type { LoadTestOptions } from './options';
import { progressReporter } from './progress';
import { buildReport, type LoadTestReport } from './report';
import type { ClientResult } from './run-result';
import { readServerRequestCount, watchCollector, windowFor } from './server-figures';
import { workload } from './workload';
import { runWrk, wrkAvailable } from './wrk-driver';

export interface RunHooks {
  /** Progress lines (setup, waiting for the queue); default stderr. */
  log?: (line: string) => void;
  /** Shows a progress bar or periodic lines during the load; default true. */
  progress?: boolean;
}

// PostgreSQL publishes an idle session's statistics within a second of its last statement.
const DB_STATS_SETTLE_MS = 2_000;

/** How long after the load every instance has sent the collector a sample covering its end. */
function collectorSettleMs(env: NodeJS.ProcessEnv): number {
  const interval = Number(env[SAMPLE_INTERVAL_MS.name] || SAMPLE_INTERVAL_MS.default);
  return (Number.isFinite(interval) && interval > 0 ? interval : Number(SAMPLE_INTERVAL_MS.default)) + 1_000;
}

/** Setup, load, server figures, the exactly-once check: one whole load test, returned as its report. */
export async function runLoadTest(options: LoadTestOptions, hooks: RunHooks = {}): Promise<{ report: LoadTestReport; formIds: string[]; acceptedIds: string[] }> {
  const log = hooks.log ?? ((line: string) => process.stderr.write(`[loadtest] ${line}\n`));
  const notes: string[] = [];
  const files = ensureOpenFiles(options.connections);
  log(files.note);
  if (!files.ok) throw new Error(files.note);
  if (files.note.includes('raised')) notes.push(files.note);
  if (options.driver === 'wrk' && !(await wrkAvailable())) {
    throw new Error('--driver wrk: wrk is not installed; npm run system-deps installs it, or use --driver autocannon');
  }

  const runId = randomBytes(4).toString('hex');
  log(`setup: creating and publishing ${options.forms} forms through ${options.url}/api/admin ...`);
  const formIds = await createPublishedForms(options.url, options.adminKey, options.forms, runId);
  await checkFormRead(options.url, formIds[0] as string);

  const serverBefore = options.metricsUrl === undefined ? undefined : await readServerRequestCount(options.metricsUrl);
  const dbNodes = [
    { node: nodeName('primary', options.databaseUrl), url: options.databaseUrl },
    ...options.replicaUrls.map((url) => ({ node: nodeName('replica', url), url })),
  ];
  const dbBefore = await readDbCounters(dbNodes);
  const collector = await watchCollector(options.collectorUrl);
  log(`running ${options.scenario} with ${options.driver} ...`);
  const progress = hooks.progress === false ? undefined : progressReporter(options.durationSeconds, options.requests);
  let client: ClientResult;
  if (options.driver === 'wrk') {
    client = await runWrk({ url: options.url, connections: options.connections, durationSeconds: options.durationSeconds, formIds, readShare: options.readShare, seed: options.seed });
  } else {
    client = await runAutocannon({
      url: options.url,
      connections: options.connections,
      durationSeconds: options.durationSeconds,
      requests: options.requests,
      rate: options.rate,
      next: workload(formIds, options.readShare, options.seed),
      onTick: progress?.tick,
    });
  }
  progress?.end();
  const loadEnded = Date.now();
  await sleep(DB_STATS_SETTLE_MS);
  const dbAfter = await readDbCounters(dbNodes);
  const db: DbFigures = {
    nodes: dbFigures(dbBefore.counters, dbAfter.counters, client.durationSeconds),
    notes: [...new Set([...dbBefore.notes, ...dbAfter.notes])],
  };
  let serverRequests: number | undefined;
  if (options.metricsUrl !== undefined && serverBefore !== undefined) {
    serverRequests = (await readServerRequestCount(options.metricsUrl)) - serverBefore;
  }

  let exactlyOnce: ExactlyOnceResult | undefined;
  if (options.readShare < 1) {
    log(`waiting for the queue to drain: checking ${client.acceptedIds.length} accepted submissions in the database ...`);
    try {
      exactlyOnce = await verifyExactlyOnce(options.databaseUrl, client.acceptedIds, formIds, options.drainTimeoutSeconds, (stored, accepted) =>
        log(`  ${stored} of ${accepted} stored`),
      );
    } catch (error) {
      notes.push(`exactly-once check not done: the database at --database-url is not reachable (${error instanceof Error ? error.message : String(error)})`);
    }
  }
  if (collector.reachable) {
    const left = collectorSettleMs(process.env) - (Date.now() - loadEnded);
    if (left > 0) {
      log(`waiting ${(left / 1000).toFixed(0)} s for the last metrics samples to reach the collector ...`);
      await sleep(left);
    }
  }
  const server = await collector.finish(windowFor(client.durationSeconds, (Date.now() - loadEnded) / 1000), client.durationSeconds);
  if ((client.statuses['429'] ?? 0) > 0) {
    notes.push(
      '429 answers came from rate limits (nginx per address, forms-api RATE_LIMIT_SUBMISSIONS): all load comes from one address here. ' +
        'Lift them for a load test: start the system with STACK_PROFILE=loadtest npm start (bench:scaling lifts them itself).',
    );
  }
  return { report: buildReport(options, client, server, { serverRequests, exactlyOnce, db, notes }), formIds, acceptedIds: client.acceptedIds };
}
