import type { ScalerTarget } from './scaler-targets';

/** One line per target, as `node main.js --check-config` prints them: what the scaler would act on. */
export interface TargetSummary {
  name: string;
  backend: string;
  resource: string;
  minReplicas: number;
  maxReplicas: number;
  metrics: string[];
  service: string;
  queue?: string;
}

export function summarizeTargets(targets: ScalerTarget[]): TargetSummary[] {
  return targets.map(({ config, service, queue }) => ({
    name: config.name,
    backend: config.backend,
    resource: config.resource,
    minReplicas: config.minReplicas,
    maxReplicas: config.maxReplicas,
    metrics: config.metrics.map((metric) => metric.kind),
    service,
    ...(queue === undefined ? {} : { queue }),
  }));
}
