import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppProcess, processGroupMembers, startApp, stopApp } from './app-processes';
import { LOCAL_SCALER_CONFIG, locallyScaledApps } from './local-scaling';
import { nodeFlagsFor } from '@formscale/config';
import { supervisedApps } from './system-plan';

/*
 * How `npm start` splits the processes between the supervisor and the scaler,
 * without running the whole of it: the scaler config it uses, read by the built
 * scaler; the apps the supervisor starts; and the process model that makes a
 * stop leave nothing behind, with real processes standing in for the scaler
 * and the workers it starts.
 */
const ROOT = join(__dirname, '../../..');
// Bound for a stand-in process to write its pid file after its start.
const START_BOUND_MS = 20_000;

describe('npm start: who owns which process', () => {
  beforeAll(() => {
    // Under `nx test` the scaler is built first (dependsOn); a plain jest run builds it here.
    if (!existsSync(join(ROOT, 'dist/apps/scaler/main.js'))) {
      execFileSync(join(ROOT, 'node_modules/.bin/nx'), ['build', 'scaler', '--outputStyle=static'], {
        cwd: ROOT,
        stdio: 'inherit',
        env: { ...process.env, NX_DAEMON: 'false' },
      });
    }
  });

  it('reads the local scaler config with the scaler itself: the worker is scaled locally, 1 to 4 processes', () => {
    expect(locallyScaledApps(ROOT)).toEqual([{ app: 'worker', minReplicas: 1, maxReplicas: 4 }]);
  });

  it('says which file the scaler refuses and why', () => {
    const dir = mkdtempSync(join(tmpdir(), 'formscale-scaler-config-'));
    try {
      const file = join(dir, 'broken.yaml');
      writeFileSync(file, 'targets: []\n');
      expect(() => locallyScaledApps(ROOT, file)).toThrow(/the scaler refuses .*broken\.yaml.*targets/s);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves the scaled apps to the scaler and gives it the local config', () => {
    const specs = supervisedApps([{ app: 'worker', minReplicas: 1, maxReplicas: 4 }], {});
    expect(specs.map((spec) => spec.name)).toEqual(['forms-api', 'metrics-collector', 'scaler']);
    expect(specs.find((spec) => spec.name === 'scaler')?.env).toMatchObject({ SCALER_CONFIG: LOCAL_SCALER_CONFIG, SCALER_BACKEND: '' });
    // With nothing scaled locally, the supervisor runs every app itself.
    expect(supervisedApps([], {}).map((spec) => spec.name)).toEqual(['forms-api', 'worker', 'metrics-collector', 'scaler']);
  });

  it('starts each app with the Node flags libs/config gives it, before its main file', () => {
    const worker = supervisedApps([], {}).find((spec) => spec.name === 'worker');
    expect(worker?.args).toEqual(['--enable-source-maps', ...nodeFlagsFor('worker'), 'dist/apps/worker/main.js']);
    expect(nodeFlagsFor('worker')).toContain('--max-semi-space-size=64');
  });
});

describe('npm start: a stop leaves no orphan', () => {
  let dir: string;
  const started: AppProcess[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'formscale-process-model-'));
  });

  afterAll(async () => {
    // Whatever a failed test left: stop it by its group.
    await Promise.all(started.map((app) => stopApp(app, 2_000)));
    rmSync(dir, { recursive: true, force: true });
  });

  /** A worker stand-in: drains for a moment on SIGTERM, then exits. */
  const WORKER = `process.on('SIGTERM', () => setTimeout(() => process.exit(0), 300)); setInterval(() => undefined, 1000);`;

  /**
   * A scaler stand-in: starts one worker as the local backend does (not detached,
   * so it stays in the scaler's process group) and writes its pid. On SIGTERM it
   * stops the worker first when `stopsWorker`, or just exits (a scaler that dies).
   */
  function scalerStandIn(label: string, stopsWorker: boolean): AppProcess {
    const pidFile = join(dir, `${label}.pid`);
    const script = [
      `const { spawn } = require('node:child_process');`,
      `const worker = spawn(process.execPath, ['-e', ${JSON.stringify(WORKER)}], { stdio: 'inherit' });`,
      `require('node:fs').writeFileSync(${JSON.stringify(pidFile)}, String(worker.pid));`,
      stopsWorker
        ? `process.on('SIGTERM', () => { worker.kill('SIGTERM'); worker.once('exit', () => process.exit(0)); });`
        : `process.on('SIGTERM', () => process.exit(0));`,
      `setInterval(() => undefined, 1000);`,
    ].join('\n');
    const app = startApp({ name: label, command: process.execPath, args: ['-e', script], url: '', readyUrl: '', env: {} }, 0, ROOT);
    started.push(app);
    return app;
  }

  async function workerPid(label: string): Promise<number> {
    const deadline = Date.now() + START_BOUND_MS;
    const pidFile = join(dir, `${label}.pid`);
    while (!existsSync(pidFile) || readFileSync(pidFile, 'utf8') === '') {
      if (Date.now() > deadline) throw new Error(`${label} did not start its worker within ${START_BOUND_MS} ms`);
      await sleep(50);
    }
    return Number(readFileSync(pidFile, 'utf8'));
  }

  it.each([
    ['stops its workers itself', true],
    ['exits without stopping its workers', false],
  ])('a scaler that %s: after stopApp its process group is empty', async (_case, stopsWorker) => {
    const label = stopsWorker ? 'clean' : 'careless';
    const scaler = scalerStandIn(label, stopsWorker);
    const worker = await workerPid(label);
    const group = scaler.child.pid as number;
    expect(processGroupMembers(group).sort()).toEqual([group, worker].sort());
    await stopApp(scaler, 10_000);
    expect(processGroupMembers(group)).toEqual([]);
  });

  it('a scaler that crashed (SIGKILL) leaves its worker, and the stop that follows ends it', async () => {
    const scaler = scalerStandIn('crashed', true);
    const worker = await workerPid('crashed');
    const group = scaler.child.pid as number;
    scaler.child.kill('SIGKILL');
    await scaler.exited;
    expect(processGroupMembers(group)).toEqual([worker]);
    await stopApp(scaler, 10_000);
    expect(processGroupMembers(group)).toEqual([]);
  });
});
