import { readFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';

/** Reads a small kernel file, or undefined where it does not exist (no cgroup, other OS). */
function readKernelFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * CPUs this process may use: the cgroup's quota where there is one (v2
 * cpu.max "quota period", v1 cfs_quota_us/cfs_period_us), else every core.
 */
export function cpuLimitCores(): number {
  const cores = availableParallelism();
  const v2 = readKernelFile('/sys/fs/cgroup/cpu.max');
  if (v2 !== undefined) {
    const [quota, period] = v2.split(/\s+/);
    if (quota !== 'max' && Number(quota) > 0 && Number(period) > 0) return Math.min(cores, Number(quota) / Number(period));
    return cores;
  }
  const quota = Number(readKernelFile('/sys/fs/cgroup/cpu/cpu.cfs_quota_us'));
  const period = Number(readKernelFile('/sys/fs/cgroup/cpu/cpu.cfs_period_us'));
  if (quota > 0 && period > 0) return Math.min(cores, quota / period);
  return cores;
}

/** Bytes this process may use: the cgroup's memory limit where there is one, else the machine's memory. */
export function memoryLimitBytes(): number {
  const machine = totalmem();
  const v2 = readKernelFile('/sys/fs/cgroup/memory.max');
  const raw = v2 ?? readKernelFile('/sys/fs/cgroup/memory/memory.limit_in_bytes');
  const limit = raw === undefined || raw === 'max' ? NaN : Number(raw);
  // cgroup v1 writes a huge number (about 2^63) for "no limit".
  return Number.isFinite(limit) && limit > 0 ? Math.min(limit, machine) : machine;
}

/**
 * CPU use of this process between two readings, as a percentage of its limit
 * (100 = every core it may use, busy). Each consumer keeps its own meter so a
 * Prometheus scrape and the sample publisher do not steal each other's interval.
 */
export class CpuMeter {
  private lastUsage = process.cpuUsage();
  private lastAt = process.hrtime.bigint();
  private readonly cores = cpuLimitCores();

  percentSinceLastRead(): number {
    const usage = process.cpuUsage();
    const at = process.hrtime.bigint();
    const usedMicros = usage.user - this.lastUsage.user + (usage.system - this.lastUsage.system);
    const wallMicros = Number(at - this.lastAt) / 1000;
    this.lastUsage = usage;
    this.lastAt = at;
    if (wallMicros <= 0) return 0;
    return (usedMicros / wallMicros / this.cores) * 100;
  }
}

const memoryLimit = memoryLimitBytes();

/** Resident memory of this process as a percentage of its limit. */
export function memoryPercent(): number {
  return (process.memoryUsage.rss() / memoryLimit) * 100;
}
