// `npm start`: the whole system as local processes, no Docker needed.
import { collectorConfig, formsApiConfig, loadConfig, scalerConfig, workerConfig } from '@formscale/config';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { AppProcess, AppSpec, nodeAppSpec, startApp, stopApp, waitUntilReady } from './app-processes';
import { edgeProxySpec, findNginx } from './edge-proxy';
import { applyStackProfile } from './stack-profile';
import { stackDown, stackUp, startedAnything } from './index';
import { migrateDatabase } from './migrate-step';

const root = join(__dirname, '../../..');
// The bound for a cold start of all four apps on a 2-core machine.
const READY_TIMEOUT_MS = 90_000;
// Longer than the worker's own drain, so a clean stop is never cut short.
const STOP_TIMEOUT_MS = 35_000;
const APPS = ['forms-api', 'worker', 'metrics-collector', 'scaler'] as const;

function portFrom(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new Error(`${name} must be a port number from 1 to 65535, got "${process.env[name]}"`);
  }
  return value;
}

function appSpecs(): AppSpec[] {
  const env = process.env;
  const ports: Record<(typeof APPS)[number], number> = {
    'forms-api': loadConfig(formsApiConfig, env).port,
    worker: loadConfig(workerConfig, env).port,
    'metrics-collector': loadConfig(collectorConfig, env).port,
    scaler: loadConfig(scalerConfig, env).port,
  };
  const specs = APPS.map((name) => nodeAppSpec(name, ports[name], { INSTANCE_ID: `${name}-1` }));
  const nginx = findNginx();
  if (nginx === undefined) {
    step('nginx is not installed: the API is served without the edge proxy (npm run system-deps installs it)');
  } else {
    specs.push(
      edgeProxySpec(nginx, root, {
        upstreams: [`127.0.0.1:${ports['forms-api']}`],
        port: portFrom('NGINX_PORT', 8080),
        statusPort: portFrom('NGINX_STATUS_PORT', 8081),
      }),
    );
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

async function main(): Promise<void> {
  const profile = applyStackProfile(process.env);
  if (profile !== undefined) step(profile);
  const stack = await stackUp();
  await migrateDatabase(step);
  build();
  const apps: AppProcess[] = appSpecs().map((spec, index) => startApp(spec, index, root));

  let stopping = false;
  const shutdown = async (reason: string, code: number) => {
    if (stopping) return;
    stopping = true;
    step(`${reason}: stopping the apps...`);
    // The edge first, so no request reaches an API that is draining.
    const [edge, rest] = [apps.filter((app) => app.spec.name === 'nginx'), apps.filter((app) => app.spec.name !== 'nginx')];
    await Promise.all(edge.map((app) => stopApp(app, STOP_TIMEOUT_MS)));
    await Promise.all(rest.map((app) => stopApp(app, STOP_TIMEOUT_MS)));
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
    await Promise.all(apps.map((app) => waitUntilReady(app, READY_TIMEOUT_MS)));
  } catch (error) {
    await shutdown(error instanceof Error ? error.message : String(error), 1);
    return;
  }
  step('formscale is up:');
  for (const app of apps) step(`  ${app.spec.name.padEnd(18)} ${app.spec.url}`);
  step('Ctrl-C stops everything.');
}

main().catch((error: unknown) => {
  process.stderr.write(`[stack] ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
