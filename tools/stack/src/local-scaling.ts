import { localReplicaPort } from '@formscale/config';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { z } from 'zod';

/** The scaler's targets under `npm start`: the worker scaled by the local backend, the API in dry-run. */
export const LOCAL_SCALER_CONFIG = 'apps/scaler/scaler.local.yaml';

/** An app whose processes the scaler of `npm start` starts and stops itself: the supervisor must not. */
export interface ScaledApp {
  app: string;
  minReplicas: number;
  maxReplicas: number;
}

const checkedConfigSchema = z.object({
  targets: z.array(z.object({ backend: z.string(), resource: z.string(), minReplicas: z.number().int(), maxReplicas: z.number().int() })),
});

/** The environment that makes the scaler use that file as it is: a SCALER_BACKEND from the shell would turn `local` off. */
export function localScalerEnv(configFile: string = LOCAL_SCALER_CONFIG): Record<string, string> {
  return { SCALER_CONFIG: configFile, SCALER_BACKEND: '' };
}

/**
 * The `local` targets of the scaler's config, read by the built scaler's own
 * parser (`node dist/apps/scaler/main.js --check-config`), so the stack and the
 * scaler can never disagree on which processes the scaler owns.
 */
export function locallyScaledApps(root: string, configFile: string = LOCAL_SCALER_CONFIG): ScaledApp[] {
  const result = spawnSync(process.execPath, [join(root, 'dist/apps/scaler/main.js'), '--check-config'], {
    cwd: root,
    env: { ...process.env, ...localScalerEnv(configFile) },
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    throw new Error(`the scaler refuses ${configFile}: ${(result.stderr || result.stdout || String(result.error)).trim()}`);
  }
  const parsed = checkedConfigSchema.safeParse(JSON.parse(result.stdout));
  if (!parsed.success) throw new Error(`unexpected output of the scaler's --check-config: ${result.stdout.slice(0, 300)}`);
  return parsed.data.targets
    .filter((target) => target.backend === 'local')
    .map((target) => {
      if (localReplicaPort(target.resource, 0) === undefined) {
        throw new Error(`${configFile}: the local backend cannot run "${target.resource}"`);
      }
      return { app: target.resource, minReplicas: target.minReplicas, maxReplicas: target.maxReplicas };
    });
}

/** The URL of instance `index` of a locally scaled app. */
export function scaledInstanceUrl(app: string, index: number): string {
  return `http://127.0.0.1:${localReplicaPort(app, index)}`;
}
