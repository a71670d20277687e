import type { ScalingDecision, ScalingSnapshot } from '@formscale/contracts';
import { decide, initialScalerState, type ScaleDecision, type ScalerState } from '../algorithm';
import type { ScalingBackend } from '../backends/backend';
import { observationFromSnapshot } from '../targets/observation-from-snapshot';
import type { BackendName, ScalerTarget } from '../targets/scaler-targets';
import type { ScalerMetrics } from './scaler-metrics';

export interface LoopLogger {
  log(message: object): void;
  warn(message: object): void;
  error(message: object): void;
}

export interface ScalingLoopOptions {
  targets: ScalerTarget[];
  backends: ReadonlyMap<BackendName, ScalingBackend>;
  metrics: ScalerMetrics;
  isLeader: () => boolean;
  emitDecision: (decision: ScalingDecision) => Promise<void>;
  logger: LoopLogger;
}

export interface LoopStatus {
  snapshotsActedOn: number;
  snapshotsSkippedAsStandby: number;
  snapshotsSkippedBusy: number;
  lastDecisions: ScaleDecision[];
}

/**
 * Each scaling.snapshot is one sync: for every target, read the current count
 * from its backend, decide, apply, report. Only the lease holder acts. The
 * algorithm's memory (stabilization windows, rate-limit history) lives here,
 * per target; a new leader starts it afresh, as a restarted HPA controller does.
 */
export class ScalingLoop {
  private readonly states = new Map<string, ScalerState>();
  private busy = false;
  readonly status: LoopStatus = { snapshotsActedOn: 0, snapshotsSkippedAsStandby: 0, snapshotsSkippedBusy: 0, lastDecisions: [] };

  constructor(private readonly options: ScalingLoopOptions) {}

  /** Forgets the algorithm's history: called when leadership is lost, since another instance acted meanwhile. */
  reset(): void {
    this.states.clear();
  }

  async onSnapshot(snapshot: ScalingSnapshot): Promise<void> {
    if (!this.options.isLeader()) {
      this.status.snapshotsSkippedAsStandby++;
      return;
    }
    // A sync that outlasts the sync period (a slow drain) must not overlap the next one on the same targets.
    if (this.busy) {
      this.status.snapshotsSkippedBusy++;
      this.options.logger.warn({ msg: 'snapshot skipped: the previous sync is still applying', at: snapshot.at });
      return;
    }
    this.busy = true;
    try {
      const decisions: ScaleDecision[] = [];
      for (const target of this.options.targets) {
        const decision = await this.syncTarget(target, snapshot);
        if (decision !== undefined) decisions.push(decision);
      }
      this.status.snapshotsActedOn++;
      this.status.lastDecisions = decisions;
    } finally {
      this.busy = false;
    }
  }

  private async syncTarget(target: ScalerTarget, snapshot: ScalingSnapshot): Promise<ScaleDecision | undefined> {
    const { config } = target;
    const { metrics, logger } = this.options;
    const backend = this.options.backends.get(config.backend);
    if (backend === undefined) throw new Error(`no ${config.backend} backend was created for target ${config.name}`);
    const observed = snapshot.services[target.service]?.instances ?? 0;
    let current: number;
    try {
      current = await backend.currentReplicas(config.resource, observed);
    } catch (error) {
      metrics.applyErrors.inc({ target: config.name, backend: backend.name });
      logger.error({ msg: 'cannot read the replica count', target: config.name, backend: backend.name, reason: reasonOf(error) });
      return undefined;
    }
    // Sync time is our clock, not the snapshot's: stabilization windows must not move with the collector's clock.
    const now = Date.now();
    const result = decide(config, observationFromSnapshot(target, snapshot, current), this.states.get(config.name) ?? initialScalerState(), now);
    const { decision } = result;
    metrics.currentReplicas.set({ target: config.name }, current);
    metrics.desiredReplicas.set({ target: config.name }, decision.desiredReplicas);
    metrics.decisions.inc({ target: config.name, reason: decision.reason });
    let applied = true;
    if (decision.desiredReplicas !== current) {
      try {
        await backend.scaleTo(config.resource, decision.desiredReplicas);
        logger.log({ msg: 'scaled', target: config.name, backend: backend.name, from: current, to: decision.desiredReplicas, reason: decision.reason });
      } catch (error) {
        applied = false;
        metrics.applyErrors.inc({ target: config.name, backend: backend.name });
        logger.error({ msg: 'scale failed', target: config.name, backend: backend.name, from: current, to: decision.desiredReplicas, reason: reasonOf(error) });
      }
      await this.report(decision, now);
    }
    this.states.set(config.name, applied && !backend.changesNothing ? result.state : result.stateIfNotApplied);
    return decision;
  }

  private async report(decision: ScaleDecision, at: number): Promise<void> {
    const figures: Record<string, number> = {};
    for (const metric of decision.metrics) if (metric.value !== undefined && Number.isFinite(metric.value)) figures[metric.kind] = metric.value;
    try {
      await this.options.emitDecision({
        target: decision.target,
        from: decision.currentReplicas,
        to: decision.desiredReplicas,
        reason: decision.reason,
        metrics: figures,
        at,
      });
    } catch (error) {
      this.options.logger.warn({ msg: 'scaling decision not sent', target: decision.target, reason: reasonOf(error) });
    }
  }
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
