import { Pool, type PoolClient, type QueryConfig, type QueryResult, type QueryResultRow } from 'pg';
import pino from 'pino';
import { register as defaultRegistry, type Registry } from 'prom-client';
import { advanceToken, currentTokenLsn } from './consistency-context';
import { DbMetrics, type FallbackReason } from './db-metrics';
import { formatLsn, lsnFromServer } from './lsn';
import { QueryDurations } from './query-durations';
import { DEFAULT_POOL_SETTINGS, nodeNameFromUrl, poolConfig, redactUrl, type PoolSettings } from './pool-settings';
import { isConnectionError, isRecoveryConflict } from './query-errors';
import { ReplicaChooser, type ReplicaChoice } from './replica-choice';
import {
  ReplicaHealth,
  type EjectionReason,
  type HealthLimits,
  type HealthTransition,
  type ReplicaState,
} from './replica-health';

export interface HealthCheckSettings extends HealthLimits {
  /**
   * Time between health checks of each replica. 1 s: lag and replay position
   * are at most this stale, a dead replica is out within maxFails intervals,
   * and one tiny query per replica per second costs nothing.
   */
  readonly intervalMs: number;
  /** A check that takes longer failed. 2 s: a healthy replica answers in milliseconds. */
  readonly timeoutMs: number;
}

export const DEFAULT_HEALTH_CHECK: HealthCheckSettings = {
  intervalMs: 1_000,
  timeoutMs: 2_000,
  // 3 failures within 10 s: nginx ejects at the first failure (max_fails=1), but
  // with a check every second one lost packet should not take a replica out.
  maxFails: 3,
  failTimeoutMs: 10_000,
  // One WAL segment (16 MiB): beyond that a replica is visibly behind.
  maxLagBytes: 16 * 1024 * 1024,
  // Reads without a token may be this stale; the cache in front serves older data anyway.
  maxLagSeconds: 5,
};

/** pino or anything with the same methods. */
export interface DbLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface ReplicaRouterOptions {
  /** The primary: every write, transaction and locking read goes here. */
  readonly primaryUrl: string;
  /** Streaming replicas; empty sends every read to the primary. */
  readonly replicaUrls?: readonly string[];
  readonly replicaChoice?: ReplicaChoice;
  /** Applies to the pool of every node. */
  readonly pool?: Partial<PoolSettings>;
  readonly healthCheck?: Partial<HealthCheckSettings>;
  /** application_name of every connection (`<name>:<node>`), so pg_stat_activity shows who is connected. */
  readonly applicationName?: string;
  /** Where the metrics go; prom-client's default registry if absent. One router per registry. */
  readonly registry?: Registry;
  readonly logger?: DbLogger;
}

export type NodeRole = 'primary' | 'replica';

/** What `stats()` reports per node. */
export interface NodeStats {
  readonly name: string;
  readonly role: NodeRole;
  /** Queries this router sent to this node and saw end. */
  readonly queries: number;
  readonly state: ReplicaState | 'primary';
  readonly reason?: EjectionReason;
  readonly replayLsn?: string;
  readonly lagBytes?: number;
  readonly lagSeconds?: number;
  readonly pool: { readonly total: number; readonly idle: number; readonly waiting: number };
}

/** A query result from the primary, with the consistency token to hand back to the client. */
export type WriteResult<R extends QueryResultRow> = QueryResult<R> & { consistencyToken: string };

export interface Committed<T> {
  readonly value: T;
  readonly consistencyToken: string;
}

/** What a transaction callback gets: the connection, without release (the router releases it). */
export type TransactionClient = Pick<PoolClient, 'query'>;

export type IsolationLevel = 'read committed' | 'repeatable read' | 'serializable';

/** The primary could not be reached at start-up. */
export class DbStartupError extends Error {
  constructor(url: string, cause: unknown) {
    super(
      `The PostgreSQL primary at ${redactUrl(url)} did not answer (${cause instanceof Error ? cause.message : String(cause)}). ` +
        'Check DATABASE_URL and that the server is running (npm run stack:up starts the local one).',
      { cause },
    );
    this.name = 'DbStartupError';
  }
}

class DbNode {
  readonly durations = new QueryDurations();

  /** Queries answered (or failed); copied into db_queries_total at scrape time. */
  get queries(): number {
    return this.durations.count;
  }

  constructor(
    readonly name: string,
    readonly role: NodeRole,
    readonly url: string,
    /** Serves the application's queries. */
    readonly pool: Pool,
    /** One connection for health checks, so a busy pool never fails a check. */
    readonly probe: Pool,
    readonly health: ReplicaHealth | undefined,
  ) {}

  get replayLsn(): bigint | null {
    return this.health === undefined ? null : this.health.replayLsn;
  }

  get lagBytes(): number {
    return this.health === undefined ? 0 : this.health.lagBytes;
  }

  async query<R extends QueryResultRow>(text: string, values: unknown[] | undefined): Promise<QueryResult<R>> {
    const started = performance.now();
    try {
      return await this.pool.query<R>(text, values);
    } finally {
      this.durations.observe((performance.now() - started) / 1000);
    }
  }
}

/**
 * A locking read (FOR UPDATE/SHARE) or a statement that writes must run on the
 * primary even when sent through read(); a replica would reject it.
 */
const PRIMARY_ONLY = /^\s*(?:insert|update|delete|merge)\b|\bfor\s+(?:no\s+key\s+)?(?:update|share|key\s+share)\b/i;

/**
 * pg_current_wal_insert_lsn(), read after COMMIT returned: the end of the
 * commit record is at or before the insert position, whatever
 * synchronous_commit says. pg_current_wal_lsn() is the write position; with
 * synchronous_commit=off the commit record may not be written yet, and a
 * replica that replayed up to it could still miss the commit. Reading it before
 * COMMIT (RETURNING pg_current_...) is wrong in either case.
 */
const TOKEN_SQL = 'SELECT pg_current_wal_insert_lsn()::text AS lsn';

const PRIMARY_LSN_SQL = 'SELECT pg_current_wal_lsn()::text AS lsn';

const REPLICA_CHECK_SQL = `SELECT pg_is_in_recovery() AS in_recovery,
  pg_last_wal_replay_lsn()::text AS replay_lsn,
  pg_last_wal_receive_lsn()::text AS receive_lsn,
  extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 AS since_last_replay`;

interface ReplicaCheckRow {
  in_recovery: boolean;
  replay_lsn: string | null;
  receive_lsn: string | null;
  since_last_replay: number | null;
}

/**
 * Sends writes and transactions to the primary and reads to a healthy replica
 * that is not too far behind, honouring read-your-writes tokens.
 *
 * Usable without Nest: `const db = new ReplicaRouter(options); await db.start();
 * ... await db.stop()`.
 */
export class ReplicaRouter {
  private readonly primary: DbNode;
  private readonly replicas: readonly DbNode[];
  /** Replaced (never mutated) when a replica changes state, so the read path reads one field. */
  private eligible: readonly DbNode[] = [];
  private readonly chooser: ReplicaChooser;
  private readonly metrics: DbMetrics;
  private readonly fallbacks: Record<FallbackReason, number> = { no_eligible_replica: 0, token_not_replayed: 0, retry: 0 };
  /** Whether reads currently fall back to the primary for want of an eligible replica (logged once per change). */
  private readsOnPrimary = false;
  private readonly logger: DbLogger;
  private readonly healthSettings: HealthCheckSettings;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private primaryLsnKnown = true;
  private started = false;
  /** Set once start-up checks are done; from then on, fallback changes are logged. */
  private watching = false;
  private stopped = false;

  constructor(options: ReplicaRouterOptions) {
    const settings: PoolSettings = { ...DEFAULT_POOL_SETTINGS, ...options.pool };
    this.healthSettings = { ...DEFAULT_HEALTH_CHECK, ...options.healthCheck };
    this.logger = options.logger ?? pino({ name: 'formscale-db' });
    this.chooser = new ReplicaChooser(options.replicaChoice ?? 'round-robin');
    const appName = options.applicationName ?? 'formscale';
    const nodes: DbNode[] = [];
    this.metrics = new DbMetrics(options.registry ?? defaultRegistry, {
      nodes: () => nodes,
      fallbacks: () => this.fallbacks,
    });
    const makeNode = (url: string, role: NodeRole, name: string): DbNode => {
      const pool = new Pool(poolConfig(url, `${appName}:${name}`, settings));
      const probe = new Pool({
        ...poolConfig(url, `${appName}:${name}:health`, settings),
        max: 1,
        min: 0,
        connectionTimeoutMillis: this.healthSettings.timeoutMs,
        statement_timeout: this.healthSettings.timeoutMs,
        query_timeout: this.healthSettings.timeoutMs,
      });
      // An idle connection that dies emits 'error' on its pool; unhandled, it would end the process.
      for (const p of [pool, probe]) {
        p.on('error', (error) => this.logger.warn({ node: name, err: error.message }, 'idle database connection lost'));
      }
      const health = role === 'replica' ? new ReplicaHealth(this.healthSettings) : undefined;
      const node = new DbNode(name, role, url, pool, probe, health);
      nodes.push(node);
      return node;
    };
    this.primary = makeNode(options.primaryUrl, 'primary', 'primary');
    const seen = new Map<string, number>();
    this.replicas = (options.replicaUrls ?? []).map((url) => {
      const base = nodeNameFromUrl(url);
      // Two replica URLs on one host:port (two databases, say) still need distinct labels.
      const count = (seen.get(base) ?? 0) + 1;
      seen.set(base, count);
      return makeNode(url, 'replica', count === 1 ? base : `${base}#${count}`);
    });
    for (const replica of this.replicas) this.metrics.replicaEligible.set({ replica: replica.name }, 0);
  }

  /**
   * Pings the primary (failing start-up with a clear error if it does not
   * answer), checks every replica once, and starts the background checks. A
   * replica that is down does not stop the start: it takes no reads until it
   * passes a check.
   */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    try {
      await this.primary.pool.query('SELECT 1');
    } catch (error) {
      await this.stop();
      throw new DbStartupError(this.primary.url, error);
    }
    await Promise.all([
      ...this.replicas.map((replica) =>
        replica.pool.query('SELECT 1').then(
          () => undefined,
          (error: unknown) =>
            this.logger.warn(
              { replica: replica.name, err: messageOf(error) },
              'replica did not answer at start-up; reads go elsewhere until it passes a health check',
            ),
        ),
      ),
      this.checkReplicas(),
    ]);
    this.watching = true;
    if (this.replicas.length === 0) {
      this.logger.info({}, 'no read replicas configured: every read goes to the primary');
    } else if (this.eligible.length === 0) {
      this.readsOnPrimary = true;
      this.logger.warn({ replicas: this.replicas.length }, 'no eligible replica: reads go to the primary');
    }
    this.scheduleCheck();
  }

  /** Stops the checks and closes every pool; waits for a check in flight. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.checking;
    const pools = [this.primary, ...this.replicas].flatMap((node) => [node.pool, node.probe]);
    await Promise.allSettled(pools.map((pool) => pool.end()));
  }

  /**
   * A read: a replica chosen by the policy among the eligible ones that have
   * replayed the current consistency token, else the primary. A connection
   * error on a replica retries once on another node.
   */
  async read<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>> {
    if (PRIMARY_ONLY.test(text)) return this.primary.query<R>(text, values);
    const minLsn = currentTokenLsn();
    const node = this.pickReader(minLsn, undefined);
    if (node === this.primary) return node.query<R>(text, values);
    try {
      return await node.query<R>(text, values);
    } catch (error) {
      const connectionLost = isConnectionError(error);
      if (!connectionLost && !isRecoveryConflict(error)) throw error;
      if (connectionLost) this.recordReadFailure(node, error);
      return this.pickReader(minLsn, node).query<R>(text, values);
    }
  }

  /** One statement on the primary; the result carries the consistency token, and the context's token moves to it. */
  write<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<WriteResult<R>> {
    return this.onPrimary(async (client) => {
      const result = (await client.query<R>(text, values)) as WriteResult<R>;
      result.consistencyToken = await this.tokenAfterCommit(client);
      return result;
    });
  }

  /**
   * One statement on the primary, for a writer that serves no reads (the
   * worker): unlike write(), no consistency token is read after it, which saves
   * a round trip per statement. A single statement is its own transaction, so
   * a statement whose CTEs write several tables commits them together. Takes a
   * QueryConfig so that a statement run per batch can be named (prepared once
   * per connection).
   */
  execute<R extends QueryResultRow = QueryResultRow>(query: QueryConfig): Promise<QueryResult<R>> {
    return this.onPrimary((client) => client.query<R>(query));
  }

  /**
   * fn inside BEGIN/COMMIT on one primary connection; ROLLBACK when fn throws.
   * Reads inside fn see the transaction's own writes, so they go through `tx`,
   * not through read().
   */
  transaction<T>(fn: (tx: TransactionClient) => Promise<T>, options: { isolation?: IsolationLevel } = {}): Promise<Committed<T>> {
    return this.onPrimary(async (client, discard) => {
      await client.query(options.isolation === undefined ? 'BEGIN' : `BEGIN ISOLATION LEVEL ${options.isolation}`);
      let value: T;
      try {
        value = await fn(client);
        await client.query('COMMIT');
      } catch (error) {
        // A connection that cannot even roll back is in an unknown state: never pool it again.
        await client.query('ROLLBACK').catch(discard);
        throw error;
      }
      return { value, consistencyToken: await this.tokenAfterCommit(client) };
    });
  }

  /**
   * The token for a write made outside the router (a TypeORM repository,
   * another pool) once it has committed; also advances the context's token.
   */
  captureToken(): Promise<string> {
    return this.onPrimary((client) => this.tokenAfterCommit(client));
  }

  /**
   * work on a primary connection, counted and timed (pool wait included) as
   * one query. The connection is destroyed rather than pooled again when it
   * was lost or work discarded it.
   */
  private async onPrimary<T>(work: (client: PoolClient, discard: (error: unknown) => void) => Promise<T>): Promise<T> {
    const started = performance.now();
    const client = await this.checkOutPrimary();
    let broken: unknown;
    try {
      return await work(client, (error) => {
        broken = error;
      });
    } catch (error) {
      if (isConnectionError(error)) broken = error;
      throw error;
    } finally {
      client.giveBack(broken);
      this.primary.durations.observe((performance.now() - started) / 1000);
    }
  }

  /**
   * A primary connection for the caller to hold. pg-pool listens for errors
   * only on idle connections: a server that terminates a checked-out one (a
   * restart, a fail-over, pg_terminate_backend) emits 'error' on it, which
   * with no listener would end the process. The listener here notes the loss
   * so the connection is destroyed, not pooled again, when it is given back.
   */
  private async checkOutPrimary(): Promise<PoolClient & { giveBack(error: unknown): void }> {
    const client = await this.primary.pool.connect();
    let lost: Error | undefined;
    const onError = (error: Error) => {
      lost = error;
      this.logger.warn({ node: 'primary', err: error.message }, 'database connection lost while in use');
    };
    client.on('error', onError);
    return Object.assign(client, {
      giveBack: (error: unknown) => {
        client.removeListener('error', onError);
        client.release(lost ?? (error instanceof Error ? error : undefined));
      },
    });
  }

  /** SELECT 1 on the primary, for readiness checks. */
  async ping(): Promise<void> {
    await this.primary.pool.query('SELECT 1');
  }

  /** A snapshot of every node, for tests, health endpoints and logs. */
  stats(): NodeStats[] {
    return [this.primary, ...this.replicas].map((node) => {
      const pool = { total: node.pool.totalCount, idle: node.pool.idleCount, waiting: node.pool.waitingCount };
      const base = { name: node.name, role: node.role, queries: node.queries, pool };
      const health = node.health;
      if (health === undefined) return { ...base, state: 'primary' as const };
      return {
        ...base,
        state: health.state,
        reason: health.reason,
        replayLsn: health.replayLsn === null ? undefined : formatLsn(health.replayLsn),
        lagBytes: health.lagBytes,
        lagSeconds: health.lagSeconds,
      };
    });
  }

  /** Runs one round of health checks now (the background loop does this every intervalMs). */
  checkReplicas(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.checking === undefined) {
      this.checking = this.runChecks().finally(() => {
        this.checking = undefined;
      });
    }
    return this.checking;
  }

  private pickReader(minLsn: bigint | undefined, exclude: DbNode | undefined): DbNode {
    const eligible = this.eligible;
    if (eligible.length === 0) {
      if (this.replicas.length > 0) this.fallbacks.no_eligible_replica++;
      return this.primary;
    }
    const node = this.chooser.choose(eligible, minLsn, exclude);
    if (node !== undefined) return node;
    if (exclude === undefined) this.fallbacks.token_not_replayed++;
    else this.fallbacks.retry++;
    return this.primary;
  }

  private async tokenAfterCommit(client: PoolClient): Promise<string> {
    const { rows } = await client.query<{ lsn: string }>(TOKEN_SQL);
    const lsn = lsnFromServer(rows[0].lsn);
    if (lsn === null) throw new Error('pg_current_wal_insert_lsn() returned NULL: DATABASE_URL points at a replica');
    advanceToken(lsn);
    return formatLsn(lsn);
  }

  private recordReadFailure(node: DbNode, error: unknown): void {
    this.logger.warn({ replica: node.name, err: messageOf(error) }, 'read failed on replica; retrying on another node');
    this.applyTransition(node, node.health?.recordFailure(Date.now()));
  }

  private scheduleCheck(): void {
    if (this.stopped || this.replicas.length === 0) return;
    this.timer = setTimeout(() => {
      void this.checkReplicas().finally(() => this.scheduleCheck());
    }, this.healthSettings.intervalMs);
    // The checks alone must not keep a process alive that has nothing else to do.
    this.timer.unref();
  }

  private async runChecks(): Promise<void> {
    if (this.replicas.length === 0) return;
    const primaryLsn = await this.samplePrimaryLsn();
    await Promise.all(this.replicas.map((replica) => this.checkReplica(replica, primaryLsn)));
  }

  private async samplePrimaryLsn(): Promise<bigint | null> {
    try {
      const { rows } = await this.primary.probe.query<{ lsn: string | null }>(PRIMARY_LSN_SQL);
      if (!this.primaryLsnKnown) this.logger.info({}, 'primary answers health checks again');
      this.primaryLsnKnown = true;
      return lsnFromServer(rows[0].lsn);
    } catch (error) {
      if (this.primaryLsnKnown) {
        this.logger.warn({ err: messageOf(error) }, 'primary did not answer its WAL position; replica lag measured from received WAL only');
      }
      this.primaryLsnKnown = false;
      return null;
    }
  }

  private async checkReplica(replica: DbNode, primaryLsn: bigint | null): Promise<void> {
    const health = replica.health;
    if (health === undefined) return;
    let row: ReplicaCheckRow;
    try {
      row = (await replica.probe.query<ReplicaCheckRow>(REPLICA_CHECK_SQL)).rows[0];
    } catch (error) {
      const transition = health.recordFailure(Date.now());
      if (transition === undefined && health.state !== 'ejected') {
        this.logger.warn({ replica: replica.name, err: messageOf(error) }, 'replica health check failed');
      }
      this.applyTransition(replica, transition, error);
      return;
    }
    const transition = health.recordSample(
      Date.now(),
      {
        inRecovery: row.in_recovery,
        replayLsn: lsnFromServer(row.replay_lsn),
        receiveLsn: lsnFromServer(row.receive_lsn),
        secondsSinceLastReplay: row.since_last_replay,
      },
      primaryLsn,
    );
    this.metrics.replicaLagBytes.set({ replica: replica.name }, health.lagBytes);
    this.metrics.replicaLagSeconds.set({ replica: replica.name }, health.lagSeconds);
    this.applyTransition(replica, transition);
  }

  private applyTransition(replica: DbNode, transition: HealthTransition | undefined, error?: unknown): void {
    if (transition === undefined || replica.health === undefined) return;
    const health = replica.health;
    const fields = {
      replica: replica.name,
      from: transition.from,
      to: transition.to,
      reason: transition.reason,
      lagBytes: health.lagBytes,
      lagSeconds: health.lagSeconds,
      err: error === undefined ? undefined : messageOf(error),
    };
    if (transition.to === 'ejected') {
      this.metrics.ejected(replica.name, transition.reason ?? 'failures');
      this.logger.warn(fields, 'replica ejected from reads');
    } else {
      this.logger.info(fields, transition.from === 'pending' ? 'replica admitted to reads' : 'replica readmitted to reads');
    }
    this.metrics.replicaEligible.set({ replica: replica.name }, transition.to === 'eligible' ? 1 : 0);
    this.eligible = this.replicas.filter((node) => node.health?.state === 'eligible');
    if (!this.watching) return;
    if (!this.readsOnPrimary && this.eligible.length === 0) {
      this.readsOnPrimary = true;
      this.logger.warn({ replicas: this.replicas.length }, 'no eligible replica: reads go to the primary');
    } else if (this.readsOnPrimary && this.eligible.length > 0) {
      this.readsOnPrimary = false;
      this.logger.info({ eligible: this.eligible.map((node) => node.name) }, 'replicas take reads again');
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
