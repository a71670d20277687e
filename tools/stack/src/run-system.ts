// `npm start`: the whole system as local processes, no Docker needed.
import { formsApiConfig, loadConfig, LOCAL_REPLICA_DRAIN_TIMEOUT_MS, scalerConfig } from '@formscale/config';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { AppProcess, AppSpec, startApp, stopApp, waitUntilReady } from './app-processes';
import { edgeProxySpec, findNginx } from './edge-proxy';
import { applyStackProfile } from './stack-profile';
import { stackDown, stackUp, startedAnything } from './index';
import { LOCAL_SCALER_CONFIG, locallyScaledApps, ScaledApp, scaledInstanceUrl } from './local-scaling';
import { migrateDatabase } from './migrate-step';
import { APPS, supervisedApps } from './system-plan';

const root = join(__dirname, '../../..');
// The bound for a cold start of all four apps on a 2-core machine.
const READY_TIMEOUT_MS = 90_000;
// Longer than the worker's own drain, so a clean stop is never cut short.
const STOP_TIMEOUT_MS = 35_000;
// The scaler's stop includes the drain of every worker it runs (in parallel, each bounded by the local backend).
const SCALER_STOP_TIMEOUT_MS = LOCAL_REPLICA_DRAIN_TIMEOUT_MS + 15_000;

function portFrom(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new Error(`${name} must be a port number from 1 to 65535, got "${process.env[name]}"`);
  }
  return value;
}

function appSpecs(scaled: readonly ScaledApp[]): AppSpec[] {
  const specs = supervisedApps(scaled);
  const nginx = findNginx();
  if (nginx === undefined) {
    step('nginx is not installed: the API is served without the edge proxy (npm run system-deps installs it)');
  } else {
    const statusPort = portFrom('NGINX_STATUS_PORT', 8081);
    specs.push(
      edgeProxySpec(nginx, root, {
        upstreams: [`127.0.0.1:${loadConfig(formsApiConfig, process.env).port}`],
        port: portFrom('NGINX_PORT', 8080),
        statusPort,
      }),
    );
    // A publish refreshes the form in this nginx's edge cache, as in compose.
    const api = specs.find((spec) => spec.name === 'forms-api');
    if (api !== undefined && process.env['NGINX_PURGE_URLS'] === undefined) api.env['NGINX_PURGE_URLS'] = `http://127.0.0.1:${statusPort}`;
  }
  return specs;
}

function step(message: string): void {
  process.stdout.write(`[stack] ${message}\n`);
}

function build(): void {
  step('building the apps (nx build, cached when nothing changed)...');
  execFileSync(
    join(root, 'node_modules/.bin/nx'),
    ['run-many', '-t', 'build', '-p', APPS.join(','), '--outputStyle=static'],
    { cwd: root, stdio: 'inherit' },
  );
}

/** Waits for the first instances the scaler must start (its minimum), which answer on the local backend's ports. */
function scaledReadiness(scaled: readonly ScaledApp[], scaler: AppProcess | undefined) {
  const scalerUrl = `http://127.0.0.1:${loadConfig(scalerConfig, process.env).port}/status`;
  return scaled.flatMap(({ app, minReplicas }) =>
    Array.from({ length: minReplicas }, (_, index) => ({
      name: `${app} #${index + 1} (started by the scaler)`,
      readyUrl: `${scaledInstanceUrl(app, index)}/health/ready`,
      exited: scaler?.exited ?? new Promise<never>(() => undefined),
      hint: `the scaler starts it at its first sync once it holds the leader lease; ${scalerUrl} says whether it leads (another npm start on the same Redis and EVENTS_PREFIX would)`,
    })),
  );
}

async function main(): Promise<void> {
  const profile = applyStackProfile(process.env);
  if (profile !== undefined) step(profile);
  const stack = await stackUp();
  await migrateDatabase(step);
  build();
  const scaled = locallyScaledApps(root);
  const apps: AppProcess[] = appSpecs(scaled).map((spec, index) => startApp(spec, index, root));
  const scaler = apps.find((app) => app.spec.name === 'scaler');

  let stopping = false;
  const shutdown = async (reason: string, code: number) => {
    if (stopping) return;
    stopping = true;
    step(`${reason}: stopping the apps...`);
    // The edge first, so no request reaches an API that is draining.
    const [edge, rest] = [apps.filter((app) => app.spec.name === 'nginx'), apps.filter((app) => app.spec.name !== 'nginx')];
    await Promise.all(edge.map((app) => stopApp(app, STOP_TIMEOUT_MS)));
    // The scaler stops the workers it runs (SIGTERM, drain); stopApp then makes sure none outlives it.
    await Promise.all(rest.map((app) => stopApp(app, app === scaler ? SCALER_STOP_TIMEOUT_MS : STOP_TIMEOUT_MS)));
    if (startedAnything(stack)) {
      step('stopping the local infrastructure this run started...');
      await stackDown();
    }
    step('stopped.');
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown('Ctrl-C', 0));
  process.on('SIGTERM', () => void shutdown('SIGTERM', 0));
  for (const app of apps) {
    void app.exited.then((code) => void shutdown(`${app.spec.name} exited with code ${code}`, 1));
  }

  try {
    await Promise.all([...apps, ...scaledReadiness(scaled, scaler)].map((app) => waitUntilReady(app, READY_TIMEOUT_MS)));
  } catch (error) {
    await shutdown(error instanceof Error ? error.message : String(error), 1);
    return;
  }
  step('formscale is up:');
  for (const app of apps) step(`  ${app.spec.name.padEnd(18)} ${app.spec.url}`);
  for (const { app, minReplicas, maxReplicas } of scaled) {
    const ports = `${scaledInstanceUrl(app, 0)}, ${scaledInstanceUrl(app, 1).replace('http://127.0.0.1', '')}, ...`;
    step(`  ${app.padEnd(18)} ${ports} (${minReplicas}-${maxReplicas} processes, started and stopped by the scaler)`);
  }
  step(`The scaler scales ${scaled.map((target) => target.app).join(', ') || 'nothing'} for real (local backend, ${LOCAL_SCALER_CONFIG});`);
  step('its other targets are decided in dry-run. Watch it on the dashboard and at the scaler\'s /status.');
  step('Ctrl-C stops everything.');
}

main().catch((error: unknown) => {
  process.stderr.write(`[stack] ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
