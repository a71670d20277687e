import { ReplicaHealth, type HealthLimits, type ReplicaSample } from './replica-health';

const limits: HealthLimits = { maxFails: 3, failTimeoutMs: 10_000, maxLagBytes: 1_000, maxLagSeconds: 5 };

const caughtUp = (lsn: bigint, sinceLastReplay: number | null = 3_600): ReplicaSample => ({
  inRecovery: true,
  replayLsn: lsn,
  receiveLsn: lsn,
  secondsSinceLastReplay: sinceLastReplay,
});

function admitted(now = 0): ReplicaHealth {
  const health = new ReplicaHealth(limits);
  health.recordSample(now, caughtUp(100n), 100n);
  return health;
}

describe('replica health', () => {
  it('starts pending and is admitted by its first passing check', () => {
    const health = new ReplicaHealth(limits);
    expect(health.state).toBe('pending');
    expect(health.recordSample(0, caughtUp(100n), 100n)).toEqual({ from: 'pending', to: 'eligible', reason: undefined });
    expect(health.recordSample(1_000, caughtUp(100n), 100n)).toBeUndefined();
  });

  it('is ejected after maxFails failures within failTimeout, not before', () => {
    const health = admitted();
    expect(health.recordFailure(1_000)).toBeUndefined();
    expect(health.recordFailure(2_000)).toBeUndefined();
    expect(health.state).toBe('eligible');
    expect(health.recordFailure(3_000)).toEqual({ from: 'eligible', to: 'ejected', reason: 'failures' });
    expect(health.recordFailure(4_000)).toBeUndefined();
  });

  it('does not count failures older than failTimeout', () => {
    const health = admitted();
    health.recordFailure(1_000);
    health.recordFailure(2_000);
    expect(health.recordFailure(12_001)).toBeUndefined();
    expect(health.recordFailure(12_002)).toBeUndefined();
    expect(health.state).toBe('eligible');
    expect(health.recordFailure(12_003)).toMatchObject({ to: 'ejected' });
  });

  it('is readmitted by the next passing check, and a flapping replica is ejected again at its next failure', () => {
    const health = admitted();
    [1_000, 2_000, 3_000].forEach((t) => health.recordFailure(t));
    expect(health.recordSample(4_000, caughtUp(100n), 100n)).toEqual({ from: 'ejected', to: 'eligible', reason: undefined });
    expect(health.recordFailure(5_000)).toEqual({ from: 'eligible', to: 'ejected', reason: 'failures' });
  });

  it('a replica that is down at start-up stays out and is ejected once its failures add up', () => {
    const health = new ReplicaHealth(limits);
    expect(health.recordFailure(0)).toBeUndefined();
    expect(health.state).toBe('pending');
    health.recordFailure(1_000);
    expect(health.recordFailure(2_000)).toEqual({ from: 'pending', to: 'ejected', reason: 'failures' });
  });

  it('maxFails 0 never ejects on failures', () => {
    const health = new ReplicaHealth({ ...limits, maxFails: 0 });
    health.recordSample(0, caughtUp(1n), 1n);
    for (let t = 0; t < 10; t++) expect(health.recordFailure(t)).toBeUndefined();
    expect(health.state).toBe('eligible');
  });

  it('is ejected when it lags more than maxLagBytes and readmitted when it catches up', () => {
    const health = admitted();
    const paused: ReplicaSample = { inRecovery: true, replayLsn: 100n, receiveLsn: 5_000n, secondsSinceLastReplay: 0.5 };
    expect(health.recordSample(1_000, paused, 5_000n)).toEqual({ from: 'eligible', to: 'ejected', reason: 'lag_bytes' });
    expect(health.lagBytes).toBe(4_900);
    expect(health.recordSample(2_000, caughtUp(5_000n), 5_000n)).toMatchObject({ to: 'eligible' });
    expect(health.lagBytes).toBe(0);
  });

  it('is ejected when it lags more than maxLagSeconds', () => {
    const health = admitted(0);
    const behind: ReplicaSample = { inRecovery: true, replayLsn: 100n, receiveLsn: 200n, secondsSinceLastReplay: 6 };
    expect(health.recordSample(3_000, behind, 200n)).toBeUndefined();
    expect(health.lagSeconds).toBe(3);
    expect(health.recordSample(7_000, behind, 200n)).toEqual({ from: 'eligible', to: 'ejected', reason: 'lag_seconds' });
    expect(health.lagSeconds).toBe(6);
  });

  it('does not call an idle primary lag: the replay timestamp ages but nothing is behind', () => {
    const health = admitted();
    expect(health.recordSample(60_000, caughtUp(100n, 3_600), 100n)).toBeUndefined();
    expect(health.lagSeconds).toBe(0);
    expect(health.state).toBe('eligible');
  });

  it('after a long idle spell, a new write is not mistaken for an hour of lag', () => {
    const health = admitted();
    health.recordSample(3_600_000, caughtUp(100n, 3_600), 100n);
    // A write lands; the replica has received it but not replayed it yet.
    const justBehind: ReplicaSample = { inRecovery: true, replayLsn: 100n, receiveLsn: 150n, secondsSinceLastReplay: 3_601 };
    expect(health.recordSample(3_601_000, justBehind, 150n)).toBeUndefined();
    expect(health.lagSeconds).toBe(1);
  });

  it('measures lag from received WAL when the primary did not answer', () => {
    const health = admitted();
    health.recordSample(1_000, { inRecovery: true, replayLsn: 100n, receiveLsn: 400n, secondsSinceLastReplay: 1 }, null);
    expect(health.lagBytes).toBe(300);
  });

  it('ejects a replica that is no longer in recovery (promoted or misconfigured)', () => {
    const health = admitted();
    const promoted: ReplicaSample = { inRecovery: false, replayLsn: null, receiveLsn: null, secondsSinceLastReplay: null };
    expect(health.recordSample(1_000, promoted, 100n)).toEqual({ from: 'eligible', to: 'ejected', reason: 'not_in_recovery' });
  });

  it('stays ejected, without a second ejection, when the cause changes', () => {
    const health = admitted();
    const lagging: ReplicaSample = { inRecovery: true, replayLsn: 100n, receiveLsn: 9_000n, secondsSinceLastReplay: 1 };
    expect(health.recordSample(1_000, lagging, 9_000n)).toMatchObject({ reason: 'lag_bytes' });
    [2_000, 3_000].forEach((t) => expect(health.recordFailure(t)).toBeUndefined());
    expect(health.recordFailure(4_000)).toBeUndefined();
    expect(health.state).toBe('ejected');
    expect(health.reason).toBe('failures');
  });
});
