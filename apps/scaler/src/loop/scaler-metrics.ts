import { Counter, Gauge, type Registry } from 'prom-client';

export interface ScalerMetrics {
  desiredReplicas: Gauge<'target'>;
  currentReplicas: Gauge<'target'>;
  decisions: Counter<'target' | 'reason'>;
  applyErrors: Counter<'target' | 'backend'>;
  invalidSnapshots: Counter;
  leader: Gauge;
}

export function createScalerMetrics(registry: Registry): ScalerMetrics {
  return {
    desiredReplicas: new Gauge({ name: 'scaler_desired_replicas', help: 'Replica count the scaler last decided per target.', labelNames: ['target'], registers: [registry] }),
    currentReplicas: new Gauge({ name: 'scaler_current_replicas', help: 'Replica count the backend reported per target at the last sync.', labelNames: ['target'], registers: [registry] }),
    decisions: new Counter({ name: 'scaler_decisions_total', help: 'Scaling decisions taken, by target and reason.', labelNames: ['target', 'reason'], registers: [registry] }),
    applyErrors: new Counter({ name: 'scaler_apply_errors_total', help: 'Failed reads or changes of a replica count, by target and backend.', labelNames: ['target', 'backend'], registers: [registry] }),
    invalidSnapshots: new Counter({ name: 'scaler_invalid_snapshots_total', help: 'scaling.snapshot messages dropped because they did not match the schema.', registers: [registry] }),
    leader: new Gauge({ name: 'scaler_leader', help: '1 while this instance holds the leader lease and acts, 0 while it stands by.', registers: [registry] }),
  };
}
