import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { DbFigures } from './db-activity';
import type { ExactlyOnceResult } from './exactly-once';
import type { LoadTestOptions } from './options';
import { edgeHitRate, errorCount, errorRate, type ClientResult } from './run-result';
import type { ServerFigures } from './server-figures';

export interface LoadTestReport {
  at: string;
  machine: { cpus: number; node: string };
  settings: Omit<LoadTestOptions, 'adminKey' | 'databaseUrl' | 'replicaUrls'>;
  client: ClientResult & { errors: number; errorRate: number; edgeHitRate: number | null };
  /** Requests the forms-api counted on the load's routes during the run, when --metrics-url was given. */
  serverRequests?: number;
  server: ServerFigures;
  /** Time the database spent, from pg_stat_database of the primary and each replica. */
  db: DbFigures;
  exactlyOnce?: ExactlyOnceResult;
  notes: string[];
}

export const REPO_ROOT = join(__dirname, '..', '..', '..');

export function buildReport(
  options: LoadTestOptions,
  client: ClientResult,
  server: ServerFigures,
  extra: { serverRequests?: number; exactlyOnce?: ExactlyOnceResult; db: DbFigures; notes: string[] },
): LoadTestReport {
  const { adminKey: _key, databaseUrl: _db, replicaUrls: _replicas, ...settings } = options;
  return {
    at: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.version },
    settings,
    client: { ...client, acceptedIds: [], errors: errorCount(client), errorRate: errorRate(client), edgeHitRate: edgeHitRate(client) ?? null },
    ...(extra.serverRequests === undefined ? {} : { serverRequests: extra.serverRequests }),
    server: server,
    db: extra.db,
    ...(extra.exactlyOnce === undefined ? {} : { exactlyOnce: extra.exactlyOnce }),
    notes: [...extra.notes, ...(server.note === undefined ? [] : [server.note]), ...extra.db.notes],
  };
}

const ms = (value: number | null) => (value === null ? 'n/a' : `${value < 10 ? value.toFixed(2) : Math.round(value).toLocaleString('en-US')} ms`);
const pct = (value: number | null | undefined) => (value === null || value === undefined ? 'n/a' : `${(value * 100).toFixed(2)} %`);
const int = (value: number) => Math.round(value).toLocaleString('en-US');

function openConnectionsRow(c: NonNullable<ClientResult['connections']>): string {
  const problems = [
    ...(c.idleFailed > 0 ? [`${int(c.idleFailed)} could not be opened`] : []),
    ...(c.idleClosedByServer > 0 ? [`${int(c.idleClosedByServer)} closed by the server during the run`] : []),
  ];
  return (
    `| open connections | ${int(c.sending)} sending, one request a second each (autocannon's fixed rate), ` +
    `+ ${int(c.idle)} held open idle${problems.length > 0 ? ` (${problems.join(', ')})` : ''} |`
  );
}

/** The report as Markdown; the terminal shows the same text. */
export function renderMarkdown(report: LoadTestReport): string {
  const c = report.client;
  const s = report.settings;
  const lines = [
    `# Load test: ${s.scenario}${s.label ? ` (${s.label})` : ''}`,
    '',
    `${report.at} on ${report.machine.cpus} CPUs, Node ${report.machine.node}. Target ${s.url}, driver ${c.driver}, ` +
      `${s.connections.toLocaleString('en-US')} connections, ${s.requests === undefined ? `${s.durationSeconds} s` : `${s.requests} requests`}, ` +
      `${s.rate === undefined ? 'closed loop' : `${s.rate} req/s offered`}, ${s.forms} forms (Zipf), ${Math.round(s.readShare * 100)} % reads, seed ${s.seed}.`,
    '',
    '| figure | value |',
    '| --- | --- |',
    `| requests | ${int(c.requests)} in ${c.durationSeconds.toFixed(1)} s |`,
    `| requests/s | ${int(c.requestsPerSecond)} |`,
    `| latency average | ${ms(c.latencyMs.mean)} |`,
    `| latency p50 / p95 / p99 / max | ${ms(c.latencyMs.p50)} / ${ms(c.latencyMs.p95)} / ${ms(c.latencyMs.p99)} / ${ms(c.latencyMs.max)} |`,
    `| errors (5xx, 429, no answer) | ${int(c.errors)} (${pct(c.errorRate)}) |`,
    `| by status | ${Object.entries(c.statuses).map(([status, n]) => `${status}: ${int(n)}`).join(', ') || 'none'} |`,
    `| no answer: socket errors / time-outs / connection closed by the server | ${int(c.socketErrors)} / ${int(c.timeouts)} / ${int(c.closedUnanswered)} |`,
    `| nginx cache (X-Cache-Status) | ${Object.keys(c.edgeCache).length === 0 ? 'no header seen (no nginx in front?)' : `${Object.entries(c.edgeCache).map(([k, n]) => `${k}: ${int(n)}`).join(', ')}; hit rate ${pct(c.edgeHitRate)}`} |`,
  ];
  if (c.connections !== undefined && c.connections.idle + c.connections.idleFailed > 0) lines.push(openConnectionsRow(c.connections));
  if (c.sent !== undefined) lines.push(`| sent | ${int(c.sent)}${c.inFlightAtStop > 0 ? ` (${int(c.inFlightAtStop)} still in flight when the run stopped)` : ''} |`);
  if (report.serverRequests !== undefined) lines.push(`| requests counted by forms-api | ${int(report.serverRequests)} |`);
  lines.push(...serverSection(report));
  if (report.exactlyOnce !== undefined) {
    const e = report.exactlyOnce;
    lines.push(
      '',
      '## Every accepted submission stored exactly once?',
      '',
      e.ok
        ? `Yes: ${int(e.accepted)} accepted (202), ${int(e.storedOnce)} stored once, none missing, none twice (checked after ${e.drainSeconds.toFixed(1)} s).`
        : `NO: ${int(e.accepted)} accepted, ${int(e.storedOnce)} stored once, ${int(e.missing)} missing, ${int(e.duplicated)} stored twice ` +
            `(after waiting ${e.drainSeconds.toFixed(1)} s). Missing, for example: ${e.missingSample.join(', ') || '—'}.`,
    );
    if (e.unacknowledged > 0) {
      lines.push(
        `${int(e.unacknowledged)} rows were stored for the run's forms whose 202 never reached the client: requests still in flight when the run stopped ` +
          `(${int(c.inFlightAtStop)} of all kinds), timed out (${int(c.timeouts)}) or on a connection the server closed (${int(c.closedUnanswered)}).`,
      );
    }
  }
  if (report.notes.length > 0) lines.push('', '## Notes', '', ...report.notes.map((note) => `- ${note}`));
  return lines.join('\n') + '\n';
}

/** Writes <out>/<scenario>-<time>.md and .json, and latest-<scenario>.* beside them. */
export function writeReport(report: LoadTestReport): { markdown: string; json: string } {
  const dir = isAbsolute(report.settings.outDir) ? report.settings.outDir : join(REPO_ROOT, report.settings.outDir);
  mkdirSync(dir, { recursive: true });
  const base = `${report.settings.label ?? report.settings.scenario}-${report.at.replace(/[:.]/g, '-')}`;
  const markdown = join(dir, `${base}.md`);
  const json = join(dir, `${base}.json`);
  const text = renderMarkdown(report);
  writeFileSync(markdown, text);
  writeFileSync(json, JSON.stringify(report, null, 2) + '\n');
  return { markdown, json };
}

const WINDOW_WORDS = { '1m': 'last minute', '5m': 'last 5 minutes' } as const;

/** The collector's figures, nginx's cache, the queues and the database, each saying where it comes from. */
function serverSection(report: LoadTestReport): string[] {
  const server = report.server;
  const c = report.client;
  const lines = ['', '## Server side', ''];
  const services = Object.entries(server.services);
  if (services.length === 0) {
    lines.push(`Metrics collector: ${server.note ?? 'it reported no services.'}`);
  } else {
    lines.push(
      `From the metrics collector: requests on the load's routes counted by every instance from the start of the load (its running totals); ` +
        `p95, cache hit rates and database query time (as the service's instances timed their queries, pool wait included) ` +
        `over its ${WINDOW_WORDS[server.window]}, which holds the whole load.`,
      '',
      '| service | instances (end / most) | requests | req/s | 5xx | p95 | cache hit rate by layer | DB queries/s | DB query mean / p95 |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    );
    for (const [name, f] of services) {
      const layers = Object.entries(f.cacheHitRatio).map(([layer, r]) => `${layer} ${pct(r)}`).join(', ') || 'no lookups';
      const db = f.db === null ? 'none | n/a' : `${int(f.db.queryRate)} | ${ms(f.db.meanMs)} / ${ms(f.db.p95Ms)}`;
      lines.push(
        `| ${name} | ${f.instances} / ${f.peakInstances} | ${int(f.requests)} | ${int(f.requestRate)} | ${pct(f.errorRate)} | ${ms(f.p95Ms)} | ${layers} | ${db} |`,
      );
    }
  }
  lines.push(
    '',
    Object.keys(c.edgeCache).length === 0
      ? 'nginx edge cache: no X-Cache-Status header seen, so no nginx in front of the target.'
      : `nginx edge cache: hit rate ${pct(c.edgeHitRate)} of the reads it handled (X-Cache-Status of every answer; the collector has no nginx source).`,
  );
  const queues = Object.keys({ ...server.queuePeaks, ...server.queues });
  if (queues.length > 0) {
    lines.push(
      '',
      'Queues, from the collector: the most seen during the load and the drain, and after it.',
      '',
      '| queue | waiting (most / after) | active (most) | delayed (most) | oldest waiting (most) | failed (after) |',
      '| --- | --- | --- | --- | --- | --- |',
    );
    for (const name of queues) {
      const peak = server.queuePeaks[name];
      const end = server.queues[name];
      lines.push(
        `| ${name} | ${peak ? int(peak.waiting) : 'n/a'} / ${end ? int(end.waiting) : 'n/a'} | ${peak ? int(peak.active) : 'n/a'} | ` +
          `${peak ? int(peak.delayed) : 'n/a'} | ${peak ? `${peak.oldestAgeSeconds.toFixed(1)} s` : 'n/a'} | ${end ? int(end.failed) : 'n/a'} |`,
      );
    }
  }
  lines.push('');
  if (report.db.nodes.length === 0) {
    lines.push('DB time: not measured (no database node could be read; see the notes).');
  } else {
    lines.push(
      'DB time inside PostgreSQL (pg_stat_database of the run\'s database, during the load): the time statements ran on each server, ' +
        'without the network and pool wait the apps\' figures above include.',
      '',
      '| node | transactions/s | time per transaction |',
      '| --- | --- | --- |',
      ...report.db.nodes.map((n) => `| ${n.node} | ${int(n.transactionsPerSecond)} | ${ms(n.meanMsPerTransaction)} |`),
    );
  }
  return lines;
}
