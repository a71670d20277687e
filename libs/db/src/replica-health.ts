import { lsnDistance } from './lsn';

/**
 * The eject/readmit state machine of one replica, kept free of I/O so it can
 * be tested with made-up clocks and samples.
 *
 * - pending: not checked yet (start-up); takes no reads.
 * - eligible: passed its last check; takes reads.
 * - ejected: failed maxFails times within failTimeoutMs (nginx's max_fails /
 *   fail_timeout), or lags more than maxLagBytes / maxLagSeconds, or is not
 *   in recovery (promoted or misconfigured). The next passing check readmits it.
 *
 * Failures are remembered for failTimeoutMs even after a readmission, so a
 * flapping replica that fails again right away is ejected again at once.
 */

export interface HealthLimits {
  /** Failures within failTimeoutMs that eject a replica; 0 never ejects on failures (nginx's max_fails=0). */
  readonly maxFails: number;
  readonly failTimeoutMs: number;
  readonly maxLagBytes: number;
  readonly maxLagSeconds: number;
}

export type ReplicaState = 'pending' | 'eligible' | 'ejected';
export type EjectionReason = 'failures' | 'lag_bytes' | 'lag_seconds' | 'not_in_recovery';

/** One health-check answer from a replica. */
export interface ReplicaSample {
  readonly inRecovery: boolean;
  /** pg_last_wal_replay_lsn() */
  readonly replayLsn: bigint | null;
  /** pg_last_wal_receive_lsn() */
  readonly receiveLsn: bigint | null;
  /** now() - pg_last_xact_replay_timestamp(), in seconds; null when nothing was replayed since start-up. */
  readonly secondsSinceLastReplay: number | null;
}

export interface HealthTransition {
  readonly from: ReplicaState;
  readonly to: ReplicaState;
  readonly reason?: EjectionReason;
}

export class ReplicaHealth {
  state: ReplicaState = 'pending';
  reason: EjectionReason | undefined;
  replayLsn: bigint | null = null;
  lagBytes = 0;
  lagSeconds = 0;
  /** The last maxFails failure times, oldest first. */
  private readonly failures: number[] = [];
  /** When a check last saw the replica fully caught up. */
  private caughtUpAt: number | undefined;

  constructor(private readonly limits: HealthLimits) {}

  /** A failed health check or a connection error on a read. */
  recordFailure(now: number): HealthTransition | undefined {
    const { maxFails, failTimeoutMs } = this.limits;
    if (maxFails <= 0) return undefined;
    this.failures.push(now);
    if (this.failures.length > maxFails) this.failures.shift();
    const windowFull = this.failures.length >= maxFails && this.failures[0] > now - failTimeoutMs;
    return windowFull ? this.moveTo('ejected', 'failures') : undefined;
  }

  /**
   * A check that answered. `primaryLsn` is pg_current_wal_lsn() on the primary,
   * sampled just before (null when the primary did not answer).
   */
  recordSample(now: number, sample: ReplicaSample, primaryLsn: bigint | null): HealthTransition | undefined {
    this.replayLsn = sample.replayLsn;
    this.measureLag(now, sample, primaryLsn);
    const { maxLagBytes, maxLagSeconds } = this.limits;
    if (!sample.inRecovery) return this.moveTo('ejected', 'not_in_recovery');
    if (this.lagBytes > maxLagBytes) return this.moveTo('ejected', 'lag_bytes');
    if (this.lagSeconds > maxLagSeconds) return this.moveTo('ejected', 'lag_seconds');
    return this.moveTo('eligible', undefined);
  }

  /**
   * Lag in bytes is the primary's position minus the replay position (or, when
   * the primary did not answer, what the replica received but has not replayed).
   *
   * Lag in seconds is only measured while the replica is behind: on an idle
   * primary now() - pg_last_xact_replay_timestamp() grows forever although the
   * replica has replayed everything. And when a write arrives after a long idle
   * spell, that same formula briefly reports the whole idle time; the time since
   * a check last saw the replica caught up bounds the true lag as well, so the
   * smaller of the two is taken.
   */
  private measureLag(now: number, sample: ReplicaSample, primaryLsn: bigint | null): void {
    const { replayLsn, receiveLsn } = sample;
    if (replayLsn === null) {
      this.lagBytes = 0;
      this.lagSeconds = 0;
      return;
    }
    const unreplayed = receiveLsn === null ? 0 : lsnDistance(receiveLsn, replayLsn);
    this.lagBytes = primaryLsn === null ? unreplayed : lsnDistance(primaryLsn, replayLsn);
    if (this.lagBytes === 0 && unreplayed === 0) {
      this.caughtUpAt = now;
      this.lagSeconds = 0;
      return;
    }
    const sinceCaughtUp = this.caughtUpAt === undefined ? Infinity : (now - this.caughtUpAt) / 1000;
    const sinceReplay = sample.secondsSinceLastReplay ?? Infinity;
    const estimate = Math.min(sinceCaughtUp, sinceReplay);
    // Neither clock known (fresh replica, nothing replayed yet): the byte limit still guards.
    this.lagSeconds = Number.isFinite(estimate) ? Math.max(0, estimate) : 0;
  }

  private moveTo(to: ReplicaState, reason: EjectionReason | undefined): HealthTransition | undefined {
    const from = this.state;
    // Staying ejected for a new reason is not a new ejection; the reason shown follows the latest cause.
    this.reason = reason;
    if (from === to) return undefined;
    this.state = to;
    return { from, to, reason };
  }
}
