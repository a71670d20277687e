import { Counter, Gauge, type Registry } from 'prom-client';
import { registerQueryDurations, type QueryDurations } from './query-durations';
import type { EjectionReason } from './replica-health';

/** Why a read went to the primary although replicas are configured. */
export type FallbackReason = 'no_eligible_replica' | 'token_not_replayed' | 'retry';

/** What the router counts in plain numbers on the query path; read when Prometheus scrapes. */
export interface MetricsSource {
  nodes(): readonly NodeCounts[];
  fallbacks(): Readonly<Record<FallbackReason, number>>;
}

export interface NodeCounts {
  readonly name: string;
  readonly role: 'primary' | 'replica';
  readonly queries: number;
  readonly durations: QueryDurations;
  readonly pool: { readonly totalCount: number; readonly idleCount: number; readonly waitingCount: number };
}

/**
 * The router's Prometheus metrics. Query and fallback counts are plain
 * integers the router increments (a prom-client inc() hashes its labels on
 * every call, too much for the read path) and are copied into the counters
 * at scrape time; health events update their metrics directly.
 */
export class DbMetrics {
  readonly replicaLagBytes: Gauge<'replica'>;
  readonly replicaLagSeconds: Gauge<'replica'>;
  readonly replicaEligible: Gauge<'replica'>;
  readonly ejections: Counter<'replica' | 'reason'>;

  constructor(registry: Registry, source: MetricsSource) {
    const registers = [registry];
    new Counter({
      name: 'db_queries_total',
      help: 'Queries sent, by node (target) and the role of that node (primary or replica).',
      labelNames: ['target', 'role'],
      registers,
      collect() {
        this.reset();
        for (const node of source.nodes()) this.inc({ target: node.name, role: node.role }, node.queries);
      },
    });
    this.replicaLagBytes = new Gauge({
      name: 'db_replica_lag_bytes',
      help: "Bytes of WAL the replica has not replayed yet, at the last health check.",
      labelNames: ['replica'],
      registers,
    });
    this.replicaLagSeconds = new Gauge({
      name: 'db_replica_lag_seconds',
      help: 'Replay lag in seconds at the last health check (0 while caught up, even on an idle primary).',
      labelNames: ['replica'],
      registers,
    });
    this.replicaEligible = new Gauge({
      name: 'db_replica_eligible',
      help: '1 while the replica takes reads, 0 while pending or ejected.',
      labelNames: ['replica'],
      registers,
    });
    this.ejections = new Counter({
      name: 'db_replica_ejections_total',
      help: 'Times a replica was taken out of the read rotation, by reason.',
      labelNames: ['replica', 'reason'],
      registers,
    });
    new Counter({
      name: 'db_reads_fallback_primary_total',
      help: 'Reads served by the primary although replicas are configured, by reason.',
      labelNames: ['reason'],
      registers,
      collect() {
        this.reset();
        for (const [reason, count] of Object.entries(source.fallbacks())) this.inc({ reason }, count);
      },
    });
    registerQueryDurations(registry, () => source.nodes());
    poolGauge(registry, 'db_pool_connections', 'Open connections of the pool, per node.', source, (p) => p.totalCount);
    poolGauge(registry, 'db_pool_idle_connections', 'Idle connections of the pool, per node.', source, (p) => p.idleCount);
    poolGauge(
      registry,
      'db_pool_waiting_requests',
      'Queries waiting for a free connection, per node.',
      source,
      (p) => p.waitingCount,
    );
  }

  ejected(replica: string, reason: EjectionReason): void {
    this.ejections.inc({ replica, reason });
  }
}

/** Pool sizes are read when Prometheus scrapes, never on the query path. */
function poolGauge(
  registry: Registry,
  name: string,
  help: string,
  source: MetricsSource,
  value: (pool: NodeCounts['pool']) => number,
): void {
  new Gauge({
    name,
    help,
    labelNames: ['node'],
    registers: [registry],
    collect() {
      for (const node of source.nodes()) this.set({ node: node.name }, value(node.pool));
    },
  });
}
