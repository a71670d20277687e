import { existsSync, readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { z } from 'zod';

/**
 * A load trace: offered requests per second over time, as points joined by
 * straight lines. Built-in traces are named; any other trace comes from a
 * file (see README.md next to this file for the formats).
 */

/** A trace that cannot be used: unknown name, missing file, wrong format. */
export class TraceError extends Error {}

export interface TracePoint {
  /** Seconds from the start of the trace. */
  t: number;
  /** Requests per second offered at that time. */
  rps: number;
}

export interface Trace {
  name: string;
  description: string;
  points: TracePoint[];
}

/**
 * The seed's load test held each user to one request every 2 s (10,000
 * connections for its 5,000 req/s): users are converted to req/s with it.
 */
export const REQUESTS_PER_USER_PER_SECOND = 0.5;

function users(count: number): number {
  return count * REQUESTS_PER_USER_PER_SECOND;
}

function rampTrace(): Trace {
  return {
    name: 'ramp',
    description:
      'the seed load test: 100 users for 1 min, ramp to 10,000 users over 10 min, hold 5 min, back to 100 users in 2 min, quiet for 12 min',
    points: [
      { t: 0, rps: users(100) },
      { t: 60, rps: users(100) },
      { t: 660, rps: users(10_000) },
      { t: 960, rps: users(10_000) },
      { t: 1080, rps: users(100) },
      { t: 1800, rps: users(100) },
    ],
  };
}

function spikeTrace(): Trace {
  return {
    name: 'spike',
    description: '500 req/s, a jump to 4,000 req/s within 10 s held for 2 min, back to 500 req/s, 20 min in all',
    points: [
      { t: 0, rps: 500 },
      { t: 300, rps: 500 },
      { t: 310, rps: 4000 },
      { t: 430, rps: 4000 },
      { t: 440, rps: 500 },
      { t: 1200, rps: 500 },
    ],
  };
}

/** The share of the daily peak at a given hour: quiet nights, a midday peak and a lower evening one. */
function dailyShape(hour: number): number {
  const bump = (centre: number, width: number): number => Math.exp(-((hour - centre) ** 2) / (2 * width ** 2));
  return Math.min(1, 0.08 + 0.92 * bump(12.5, 3) + 0.7 * bump(20, 2));
}

function dailyTrace(): Trace {
  const peak = 4000;
  const stepSeconds = 300;
  const points: TracePoint[] = [];
  for (let t = 0; t <= 86_400; t += stepSeconds) {
    points.push({ t, rps: Math.round(peak * dailyShape(t / 3600)) });
  }
  return {
    name: 'daily',
    description: 'one day: about 320 req/s at night, a midday peak of 4,000 req/s and an evening one, in 5-minute steps',
    points,
  };
}

export const BUILT_IN_TRACES: Record<string, () => Trace> = {
  ramp: rampTrace,
  spike: spikeTrace,
  daily: dailyTrace,
};

const pointSchema = z.object({ t: z.number().min(0), rps: z.number().min(0) });
const traceFileSchema = z.union([
  z.object({ name: z.string().min(1).optional(), description: z.string().optional(), points: z.array(pointSchema) }),
  z.array(pointSchema),
]);

function checkPoints(points: TracePoint[], source: string): TracePoint[] {
  if (points.length < 2) {
    throw new TraceError(`${source}: a trace needs at least 2 points (t,rps), got ${points.length}`);
  }
  if (points[0].t !== 0) {
    throw new TraceError(`${source}: the first point must be at t=0, got t=${points[0].t}`);
  }
  for (let index = 1; index < points.length; index++) {
    if (!(points[index].t > points[index - 1].t)) {
      throw new TraceError(
        `${source}: times must increase: point ${index + 1} (t=${points[index].t}) is not after t=${points[index - 1].t}`,
      );
    }
  }
  return points;
}

function parseCsv(text: string, source: string): TracePoint[] {
  const points: TracePoint[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || (index === 0 && /^t\s*,\s*rps$/i.test(line))) {
      return;
    }
    const fields = line.split(',').map((field) => field.trim());
    const t = Number(fields[0]);
    const rps = Number(fields[1]);
    if (fields.length !== 2 || fields[0] === '' || fields[1] === '' || !Number.isFinite(t) || !Number.isFinite(rps) || t < 0 || rps < 0) {
      throw new TraceError(`${source}:${index + 1}: expected "seconds,rps" with two numbers >= 0, got "${line}"`);
    }
    points.push({ t, rps });
  });
  return points;
}

export function parseTraceText(text: string, source: string, format: 'json' | 'csv', name: string): Trace {
  if (format === 'csv') {
    return { name, description: `from ${source}`, points: checkPoints(parseCsv(text, source), source) };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new TraceError(`${source}: not valid JSON (${(error as Error).message})`);
  }
  const parsed = traceFileSchema.safeParse(json);
  if (!parsed.success) {
    throw new TraceError(
      `${source}: expected {"points":[{"t":0,"rps":100},...]} or [{"t":0,"rps":100},...]:\n${z.prettifyError(parsed.error)}`,
    );
  }
  const data = parsed.data;
  const points = Array.isArray(data) ? data : data.points;
  return {
    name: Array.isArray(data) ? name : (data.name ?? name),
    description: Array.isArray(data) ? `from ${source}` : (data.description ?? `from ${source}`),
    points: checkPoints(points, source),
  };
}

/** A built-in trace by name, or a trace file (.json or .csv) by path. */
export function loadTrace(nameOrPath: string): Trace {
  const builtIn = BUILT_IN_TRACES[nameOrPath];
  if (builtIn !== undefined) {
    return builtIn();
  }
  const extension = extname(nameOrPath).toLowerCase();
  if (extension !== '.json' && extension !== '.csv') {
    throw new TraceError(
      `unknown trace "${nameOrPath}": use a built-in trace (${Object.keys(BUILT_IN_TRACES).join(', ')}) or a .json or .csv file`,
    );
  }
  if (!existsSync(nameOrPath)) {
    throw new TraceError(`trace file "${nameOrPath}" does not exist`);
  }
  const name = nameOrPath.replace(/^.*[\\/]/, '').replace(/\.(json|csv)$/i, '');
  return parseTraceText(readFileSync(nameOrPath, 'utf8'), nameOrPath, extension === '.csv' ? 'csv' : 'json', name);
}

export function traceDuration(trace: Trace): number {
  return trace.points[trace.points.length - 1].t;
}

/** Reads a trace at increasing times without searching from the start each time. */
export class TraceCursor {
  private index = 0;

  constructor(private readonly points: TracePoint[]) {}

  rpsAt(t: number): number {
    const points = this.points;
    if (t <= points[0].t) {
      return points[0].rps;
    }
    while (this.index < points.length - 2 && points[this.index + 1].t <= t) {
      this.index++;
    }
    const from = points[this.index];
    const to = points[this.index + 1];
    if (t >= to.t) {
      return to.rps;
    }
    return from.rps + ((to.rps - from.rps) * (t - from.t)) / (to.t - from.t);
  }
}
