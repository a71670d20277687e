import { randomBytes } from 'node:crypto';
import { runAutocannon } from './autocannon-driver';
import { verifyExactlyOnce, type ExactlyOnceResult } from './exactly-once';
import { checkFormRead, createPublishedForms } from './forms-setup';
import { ensureOpenFiles } from './open-files';
import type { LoadTestOptions } from './options';
import { progressReporter } from './progress';
import { buildReport, type LoadTestReport } from './report';
import type { ClientResult } from './run-result';
import { readCollector, readServerRequestCount } from './server-figures';
import { workload } from './workload';
import { runWrk, wrkAvailable } from './wrk-driver';

export interface RunHooks {
  /** Progress lines (setup, waiting for the queue); default stderr. */
  log?: (line: string) => void;
  /** Shows a progress bar or periodic lines during the load; default true. */
  progress?: boolean;
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
  const server = await readCollector(options.collectorUrl);
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
  if ((client.statuses['429'] ?? 0) > 0) {
    notes.push(
      '429 answers came from rate limits (nginx per address, forms-api RATE_LIMIT_SUBMISSIONS): all load comes from one address here. ' +
        'Lift them for a load test: start the system with STACK_PROFILE=loadtest npm start (bench:scaling lifts them itself).',
    );
  }
  return { report: buildReport(options, client, server, { serverRequests, exactlyOnce, notes }), formIds, acceptedIds: client.acceptedIds };
}
