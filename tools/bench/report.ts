import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** The one shape every reports/bench/<name>.json has (see DESIGN.md, Benchmarks). */
export interface BenchReport {
  bench: string;
  at: string;
  machine: { cpus: number; node: string };
  settings: Record<string, unknown>;
  figures: Record<string, number>;
  /** system / baseline, so higher is better. */
  ratios: Record<string, number>;
}

const REPORT_DIR = join(__dirname, '..', '..', 'reports', 'bench');

export function writeBenchReport(
  bench: string,
  parts: Pick<BenchReport, 'settings' | 'figures' | 'ratios'>,
): { path: string; report: BenchReport } {
  const report: BenchReport = {
    bench,
    at: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.version },
    ...parts,
  };
  mkdirSync(REPORT_DIR, { recursive: true });
  const path = join(REPORT_DIR, `${bench}.json`);
  writeFileSync(path, JSON.stringify(report, null, 2) + '\n');
  return { path, report };
}

export function ratio(system: number, baseline: number): number {
  return baseline === 0 ? 0 : Math.round((system / baseline) * 1000) / 1000;
}

/** Prints rows as an aligned two-column table. */
export function printTable(title: string, rows: ReadonlyArray<readonly [string, string | number]>): void {
  const width = Math.max(...rows.map(([label]) => label.length));
  console.log(`\n${title}`);
  for (const [label, value] of rows) {
    const shown = typeof value === 'number' ? formatNumber(value) : value;
    console.log(`  ${label.padEnd(width)}  ${shown}`);
  }
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? value.toLocaleString('en-US') : value.toFixed(3);
}

/**
 * A measured rate: per wall-clock second, and per CPU second of this process. On a shared
 * machine other processes take the CPU at random moments; the CPU-time rate is what the
 * code itself costs, so ratios are best taken on it.
 */
export interface Rate {
  perS: number;
  perCpuS: number;
}

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/**
 * Call before each measured phase: collects the garbage the previous phase left, so a
 * phase does not pay for another's allocations, and lets the event loop go idle.
 */
export async function settle(): Promise<void> {
  collectGarbage();
  await sleep(50);
}

function rateOf(ops: number, startedMs: number, cpuBefore: NodeJS.CpuUsage): Rate {
  const wallMs = performance.now() - startedMs;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return { perS: Math.round((ops / wallMs) * 1000), perCpuS: Math.round((ops / Math.max(cpuMs, 0.001)) * 1000) };
}

/**
 * Rate of a synchronous `op` run back to back for `durationMs`, reading the clock every
 * `batch` operations so the clock does not weigh on fast operations.
 */
export function measureSync(op: (i: number) => unknown, durationMs: number, batch = 10_000): Rate {
  let ops = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  do {
    for (let i = 0; i < batch; i++) {
      op(ops + i);
    }
    ops += batch;
  } while (performance.now() - started < durationMs);
  return rateOf(ops, started, cpuBefore);
}

/** As measureSync, awaiting each operation as a caller would. */
export async function measureAsync(op: (i: number) => Promise<unknown>, durationMs: number, batch = 10_000): Promise<Rate> {
  let ops = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  do {
    for (let i = 0; i < batch; i++) {
      await op(ops + i);
    }
    ops += batch;
  } while (performance.now() - started < durationMs);
  return rateOf(ops, started, cpuBefore);
}

/** Rate of `workers` concurrent loops of `op`, for I/O-bound operations. */
export async function measureConcurrent(op: (i: number) => Promise<unknown>, workers: number, durationMs: number): Promise<Rate> {
  let ops = 0;
  let stop = false;
  const timer = setTimeout(() => (stop = true), durationMs);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      for (let i = worker; !stop; i += workers) {
        await op(i);
        ops++;
      }
    }),
  );
  clearTimeout(timer);
  return rateOf(ops, started, cpuBefore);
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
