import autocannon from 'autocannon';
import { LatencyHistogram } from './histogram';
import { holdIdleConnections } from './idle-connections';
import { RequestLedger } from './request-ledger';
import type { ClientResult } from './run-result';
import type { PlannedRequest } from './workload';

export interface DriverSettings {
  url: string;
  connections: number;
  durationSeconds: number;
  requests?: number;
  rate?: number;
  next: () => PlannedRequest;
  /** Called every second with requests so far, for the progress display. */
  onTick?: (done: number) => void;
}

// A request unanswered after 10 s counts as a time-out: the seed's users would have left.
const REQUEST_TIMEOUT_SECONDS = 10;

const ID_IN_BODY = /"id"\s*:\s*"([0-9a-f-]{36})"/;

/** A header of a response as autocannon hands it over: raw names, so any case. */
function header(headers: Record<string, unknown> | undefined, name: string): unknown {
  if (headers === undefined) return undefined;
  const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

/** Runs the load in this process with autocannon; latencies and statuses are counted per response. */
export async function runAutocannon(settings: DriverSettings): Promise<ClientResult> {
  const histogram = new LatencyHistogram();
  const statuses: Record<string, number> = {};
  const edgeCache: Record<string, number> = {};
  const acceptedIds: string[] = [];
  let socketErrors = 0;
  const ledgers: RequestLedger[] = [];
  let lost = 0;
  let inFlightAtStop = 0;
  const fixedCount = settings.requests !== undefined;
  // At a fixed rate autocannon opens at most one connection per offered req/s
  // (lib/run.js) and each sends one request a second; the rest are held open idle.
  const sending = settings.rate === undefined ? settings.connections : Math.min(settings.connections, settings.rate);
  const idle = sending < settings.connections ? await holdIdleConnections(settings.url, settings.connections - sending) : undefined;
  const started = performance.now();

  let finished!: (result: autocannon.Result) => void;
  let failed!: (error: Error) => void;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    finished = resolve;
    failed = reject;
  });
  const instance = autocannon({
    url: settings.url,
    connections: settings.connections,
    ...(settings.requests === undefined ? { duration: settings.durationSeconds } : { amount: settings.requests }),
    ...(settings.rate === undefined ? {} : { overallRate: settings.rate }),
    timeout: REQUEST_TIMEOUT_SECONDS,
    // Its types name only three of the events a client emits (lib/httpClient.js emits these too).
    setupClient: (client) => {
      const ledger = new RequestLedger();
      ledgers.push(ledger);
      const events = client as NodeJS.EventEmitter;
      events.on('request', () => ledger.onSent());
      events.on('response', () => ledger.onAnswered());
      events.on('connError', () => ledger.onFailed());
      events.on('timeout', () => ledger.onFailed());
      events.once('done', () => {
        const end = ledger.finish(!fixedCount);
        lost += end.lost;
        inFlightAtStop += end.inFlight;
      });
    },
    requests: [
      {
        setupRequest: (request) => {
          const planned = settings.next();
          return {
            ...request,
            method: planned.method,
            path: planned.path,
            headers: planned.body === undefined ? {} : { 'content-type': 'application/json' },
            body: planned.body,
          };
        },
        onResponse: (status, body, _context, headers) => {
          const cache = header(headers, 'x-cache-status');
          if (typeof cache === 'string') edgeCache[cache] = (edgeCache[cache] ?? 0) + 1;
          if (status === 202) {
            const id = ID_IN_BODY.exec(body)?.[1];
            if (id !== undefined) acceptedIds.push(id);
          }
        },
      },
    ],
  }, (error: Error | null, result: autocannon.Result) => (error ? failed(error) : finished(result)));
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    histogram.record(responseTime);
    statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
  });
  instance.on('reqError', () => socketErrors++);
  instance.on('tick', () => settings.onTick?.(histogram.count));
  let result: autocannon.Result;
  try {
    result = await done;
  } finally {
    idle?.close();
  }
  const durationSeconds = (performance.now() - started) / 1000;
  return {
    driver: 'autocannon',
    requests: histogram.count,
    durationSeconds,
    requestsPerSecond: histogram.count / durationSeconds,
    latencyMs: {
      mean: histogram.meanMs(),
      p50: histogram.quantileMs(0.5),
      p95: histogram.quantileMs(0.95),
      p99: histogram.quantileMs(0.99),
      max: histogram.maxMs,
    },
    statuses,
    // autocannon counts time-outs among its errors too.
    socketErrors: Math.max(0, socketErrors - result.timeouts),
    timeouts: result.timeouts,
    sent: ledgers.reduce((sum, ledger) => sum + ledger.sent, 0),
    closedUnanswered: lost,
    inFlightAtStop,
    edgeCache,
    acceptedIds,
    connections: { sending, idle: idle?.opened ?? 0, idleFailed: idle?.failed ?? 0, idleClosedByServer: idle?.closedByServer() ?? 0 },
  };
}
