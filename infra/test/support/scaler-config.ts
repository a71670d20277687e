import { builtAppMain } from './forms-api-fleet';
import { WORKSPACE_ROOT } from './repo';
import { run } from './system-tools';

/** A target as `node main.js --check-config` of the built scaler prints it. */
export interface CheckedTarget {
  name: string;
  backend: string;
  resource: string;
  minReplicas: number;
  maxReplicas: number;
  metrics: string[];
}

/**
 * Reads a targets file with the built scaler's own parser (`--check-config`), as
 * the container would at start with this SCALER_CONFIG and SCALER_BACKEND; throws
 * the scaler's message when it refuses the file.
 */
export function checkScalerConfig(file: string, backend: string): CheckedTarget[] {
  const main = builtAppMain(WORKSPACE_ROOT, 'scaler');
  const result = run(process.execPath, [main, '--check-config'], {
    env: { PATH: process.env['PATH'] ?? '', SCALER_CONFIG: file, SCALER_BACKEND: backend },
  });
  if (result.status !== 0) throw new Error(`the scaler refuses ${file} (SCALER_BACKEND=${backend}): ${result.stderr}${result.stdout}`);
  return (JSON.parse(result.stdout) as { targets: CheckedTarget[] }).targets;
}
