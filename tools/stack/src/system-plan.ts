import { collectorConfig, formsApiConfig, loadConfig, scalerConfig, workerConfig } from '@formscale/config';
import { AppSpec, nodeAppSpec } from './app-processes';
import { localScalerEnv, ScaledApp } from './local-scaling';

/** The apps of `npm start`; those the scaler scales locally are left to it. */
export const APPS = ['forms-api', 'worker', 'metrics-collector', 'scaler'] as const;
export type AppName = (typeof APPS)[number];

/**
 * The processes the supervisor itself starts: every app but those the scaler
 * runs through its local backend, so each process has exactly one owner, and
 * the scaler with the config that makes it their owner.
 */
export function supervisedApps(scaled: readonly ScaledApp[], env: NodeJS.ProcessEnv = process.env): AppSpec[] {
  const ports: Record<AppName, number> = {
    'forms-api': loadConfig(formsApiConfig, env).port,
    worker: loadConfig(workerConfig, env).port,
    'metrics-collector': loadConfig(collectorConfig, env).port,
    scaler: loadConfig(scalerConfig, env).port,
  };
  const byScaler = new Set(scaled.map((target) => target.app));
  return APPS.filter((name) => !byScaler.has(name)).map((name) =>
    nodeAppSpec(name, ports[name], { INSTANCE_ID: `${name}-1`, ...(name === 'scaler' ? localScalerEnv() : {}) }),
  );
}
