import type { Observation, ReplicaSample } from '../algorithm';

/**
 * A deliberately simple model of a scaled-out service, enough to compare
 * scaling policies: each ready replica serves up to `capacityPerReplica`
 * req/s; what is offered beyond the ready capacity waits in one FIFO queue;
 * a request's latency is its wait in that queue plus the service time. New
 * replicas take `startupSeconds` to become ready; removed replicas go at once
 * (still-starting ones first). CPU is the served share of the capacity, so it
 * saturates at 100 % while the queue keeps growing.
 */

export interface ServiceSettings {
  /** Requests per second one ready replica serves at 100 % CPU. */
  capacityPerReplica: number;
  /** Time to serve one request when nothing waits, in ms. */
  serviceTimeMs: number;
  /** From the decision to add a replica until it takes traffic, in s (image pull, boot, readiness). */
  startupSeconds: number;
  /** Memory use of an idle replica, in % of its request. */
  baseMemoryPercent: number;
  /** Memory added per % of CPU (buffers and in-flight requests grow with load). */
  memoryPerCpuPercent: number;
}

export const DEFAULT_SERVICE: ServiceSettings = {
  // The seed's single instance served a few hundred req/s of the mixed load before its latency went up.
  capacityPerReplica: 250,
  serviceTimeMs: 20,
  // A Node container on Kubernetes: image present, start-up and the first readiness probe.
  startupSeconds: 30,
  baseMemoryPercent: 30,
  memoryPerCpuPercent: 0.3,
};

interface Cohort {
  /** When these requests arrived, in s. */
  at: number;
  count: number;
}

interface Replica {
  readyAt: number;
}

interface LatencyChunk {
  count: number;
  latencyMs: number;
}

export interface StepResult {
  t: number;
  rps: number;
  /** Replicas that exist (and cost), ready or starting. */
  replicas: number;
  ready: number;
  served: number;
  backlog: number;
  /** Age of the oldest waiting request, in s. */
  queueAgeSeconds: number;
  /** p95 latency of the requests completed in this step, in ms. */
  p95Ms: number;
}

/** The p95 of weighted latencies: the smallest latency at or below which 95 % of the requests fall. */
export function weightedP95(chunks: LatencyChunk[]): number | undefined {
  const total = chunks.reduce((sum, chunk) => sum + chunk.count, 0);
  if (total <= 0) {
    return undefined;
  }
  const sorted = [...chunks].sort((a, b) => a.latencyMs - b.latencyMs);
  const rank = 0.95 * total;
  let seen = 0;
  for (const chunk of sorted) {
    seen += chunk.count;
    if (seen >= rank) {
      return chunk.latencyMs;
    }
  }
  return sorted[sorted.length - 1].latencyMs;
}

/** Below this many requests a cohort is considered served (the fluid model never quite empties). */
const EPSILON = 1e-9;

export class ServiceModel {
  private readonly replicas: Replica[] = [];
  private readonly queue: Cohort[] = [];
  private head = 0;
  private backlog = 0;
  // What happened since the last observation: the metrics window.
  private windowServed = 0;
  private windowReadySeconds = 0;
  private windowSeconds = 0;
  private windowChunks: LatencyChunk[] = [];

  constructor(
    private readonly settings: ServiceSettings,
    initialReplicas: number,
  ) {
    for (let index = 0; index < initialReplicas; index++) {
      this.replicas.push({ readyAt: 0 });
    }
  }

  get replicaCount(): number {
    return this.replicas.length;
  }

  readyCount(t: number): number {
    return this.replicas.filter((replica) => replica.readyAt <= t).length;
  }

  /** Advances the model by `dt` seconds at `rps` offered requests per second. */
  step(t: number, dt: number, rps: number): StepResult {
    const ready = this.readyCount(t);
    const arrivals = rps * dt;
    if (arrivals > 0) {
      this.queue.push({ at: t, count: arrivals });
      this.backlog += arrivals;
    }
    let capacity = ready * this.settings.capacityPerReplica * dt;
    let served = 0;
    const chunks: LatencyChunk[] = [];
    while (capacity > EPSILON && this.head < this.queue.length) {
      const cohort = this.queue[this.head];
      const take = Math.min(cohort.count, capacity);
      cohort.count -= take;
      capacity -= take;
      served += take;
      chunks.push({ count: take, latencyMs: (t - cohort.at) * 1000 + this.settings.serviceTimeMs });
      if (cohort.count <= EPSILON) {
        this.head++;
      }
    }
    this.backlog = Math.max(0, this.backlog - served);
    this.compactQueue();

    this.windowServed += served;
    this.windowReadySeconds += ready * dt;
    this.windowSeconds += dt;
    this.windowChunks.push(...chunks);

    const queueAgeSeconds = this.head < this.queue.length ? t + dt - this.queue[this.head].at : 0;
    const p95Ms =
      weightedP95(chunks) ?? (queueAgeSeconds > 0 ? queueAgeSeconds * 1000 + this.settings.serviceTimeMs : this.settings.serviceTimeMs);
    return {
      t,
      rps,
      replicas: this.replicas.length,
      ready,
      served,
      backlog: this.backlog,
      queueAgeSeconds,
      p95Ms,
    };
  }

  /** What the scaler sees at time `t`: the metrics of the window since the last observation, which it then resets. */
  observe(t: number): Observation {
    const { capacityPerReplica, serviceTimeMs, baseMemoryPercent, memoryPerCpuPercent } = this.settings;
    const readyReplicaSeconds = this.windowReadySeconds;
    const cpu = readyReplicaSeconds > 0 ? (100 * this.windowServed) / (readyReplicaSeconds * capacityPerReplica) : 0;
    const requestRate = readyReplicaSeconds > 0 ? this.windowServed / readyReplicaSeconds : 0;
    const replicas: ReplicaSample[] = this.replicas.map((replica) =>
      replica.readyAt <= t
        ? { state: 'ready', cpu, memory: baseMemoryPercent + memoryPerCpuPercent * cpu, requestRate }
        : { state: 'pending' },
    );
    const servedPerSecond = this.windowSeconds > 0 ? this.windowServed / this.windowSeconds : 0;
    const latencyP95Ms = weightedP95(this.windowChunks) ?? serviceTimeMs;
    this.windowServed = 0;
    this.windowReadySeconds = 0;
    this.windowSeconds = 0;
    this.windowChunks = [];
    return {
      currentReplicas: this.replicas.length,
      replicas,
      latencyP95Ms,
      queue: {
        waiting: this.backlog,
        prioritized: 0,
        delayedDue: 0,
        // Little's law: requests in service = throughput x service time.
        active: (servedPerSecond * serviceTimeMs) / 1000,
      },
    };
  }

  /** Applies a decision at time `t`: new replicas start, removed ones go (still-starting ones first). */
  scaleTo(desired: number, t: number): void {
    while (this.replicas.length < desired) {
      this.replicas.push({ readyAt: t + this.settings.startupSeconds });
    }
    if (this.replicas.length > desired) {
      this.replicas.sort((a, b) => a.readyAt - b.readyAt);
      this.replicas.length = desired;
    }
  }

  private compactQueue(): void {
    // Drop served cohorts now and then, so the queue array does not grow with the trace.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }
}
