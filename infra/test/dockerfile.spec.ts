import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { validate } from 'dockerfile-utils';
import { Copy, Instruction } from 'dockerfile-ast';
import { DockerStage, keyword, readDockerStages } from './support/dockerfile';
import { INFRA_ROOT, WORKSPACE_ROOT, workspaceApps } from './support/repo';

const DOCKERFILE = join(INFRA_ROOT, 'docker/Dockerfile');
const HEALTHCHECK_SCRIPT = join(INFRA_ROOT, 'docker/healthcheck.cjs');

function args(instruction: Instruction): string {
  return instruction.getArgumentsContent() ?? '';
}

function only<T>(items: T[], what: string): T {
  if (items.length !== 1) throw new Error(`expected exactly one ${what}, found ${items.length}`);
  return items[0];
}

function instructionsOf(stage: DockerStage, name: string): Instruction[] {
  return stage.instructions.filter((i) => keyword(i) === name);
}

/** `ARG APP=forms-api` in a stage: the default app the image builds. */
function defaultApp(stage: DockerStage): string | undefined {
  const arg = instructionsOf(stage, 'ARG').find((i) => args(i).startsWith('APP='));
  return arg ? args(arg).slice('APP='.length) : undefined;
}

describe('infra/docker/Dockerfile', () => {
  const stages = readDockerStages(DOCKERFILE);
  const byName = (name: string) => only(stages.filter((s) => s.name === name), `stage ${name}`);
  const runtime = stages[stages.length - 1];

  it('has no problems dockerfile-utils reports', () => {
    const problems = validate(readFileSync(DOCKERFILE, 'utf8')).map(
      (d) => `${d.range.start.line + 1}: ${d.message}`,
    );
    expect(problems).toEqual([]);
  });

  it('builds an app that exists with Nx, which writes the pruned package.json and lock file', () => {
    const build = byName('build');
    const app = defaultApp(build);
    expect(workspaceApps()).toContain(app);
    const run = instructionsOf(build, 'RUN').map(args).join('\n');
    expect(run).toContain('npx nx run "${APP}:build"');
    // The generated manifest and lock come from NxAppWebpackPlugin's generatePackageJson.
    // Every app builds through the shared webpack.app.cjs, which turns it on, and none turns it off.
    const shared = readFileSync(join(WORKSPACE_ROOT, 'webpack.app.cjs'), 'utf8');
    expect(shared).toMatch(/generatePackageJson:\s*true/);
    for (const name of workspaceApps()) {
      const webpackConfig = readFileSync(join(WORKSPACE_ROOT, 'apps', name, 'webpack.config.js'), 'utf8');
      expect({
        name,
        usesSharedConfig: webpackConfig.includes("require('../../webpack.app.cjs')"),
        turnsItOff: /generatePackageJson:\s*false/.test(webpackConfig),
      }).toEqual({ name, usesSharedConfig: true, turnsItOff: false });
    }
    expect(run).toContain('dist/apps/${APP}/package-lock.json');
  });

  it('installs all dependencies from the lock file in the build, and only production ones at runtime', () => {
    expect(instructionsOf(byName('deps'), 'RUN').map(args).join(' ')).toMatch(/npm ci\b/);
    const runtimeInstall = instructionsOf(runtime, 'RUN').map(args).join(' ');
    expect(runtimeInstall).toMatch(/npm ci --omit=dev\b/);
  });

  it('copies into the runtime image only the built app and the health check, never sources', () => {
    expect(runtime.name).toBe('runtime');
    expect(defaultApp(runtime)).toBe(defaultApp(byName('build')));
    for (const copy of instructionsOf(runtime, 'COPY') as Copy[]) {
      const sources = copy.getArguments().map((a) => a.getValue()).slice(0, -1);
      if (copy.getFromFlag()?.getValue() === 'build') {
        for (const source of sources) expect(source).toMatch(/^\/workspace\/dist\/apps\/\$\{APP\}\//);
      } else {
        expect(sources).toEqual(['infra/docker/healthcheck.cjs']);
      }
    }
    expect(instructionsOf(runtime, 'ADD')).toEqual([]);
  });

  it('runs as an unprivileged user with a liveness health check and SIGTERM as stop signal', () => {
    const user = args(only(instructionsOf(runtime, 'USER'), 'USER in the runtime stage'));
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    // USER comes before the command, so the app itself never runs as root.
    const order = runtime.instructions.map(keyword);
    expect(order.indexOf('USER')).toBeLessThan(order.indexOf('CMD'));
    const healthcheck = args(only(instructionsOf(runtime, 'HEALTHCHECK'), 'HEALTHCHECK'));
    expect(healthcheck).toContain('/usr/local/lib/formscale/healthcheck.cjs');
    expect(readFileSync(HEALTHCHECK_SCRIPT, 'utf8')).toContain('/health/live');
    expect(args(only(instructionsOf(runtime, 'STOPSIGNAL'), 'STOPSIGNAL'))).toBe('SIGTERM');
    expect(args(only(instructionsOf(runtime, 'CMD'), 'CMD'))).toBe('["node", "main.js"]');
  });

  it('keeps the build context free of local state (.dockerignore)', () => {
    const ignore = readFileSync(join(WORKSPACE_ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['**/node_modules', 'dist', '.git', '.data', '.env', 'infra', '!infra/docker/healthcheck.cjs']) {
      expect(ignore).toContain(entry);
    }
    expect(existsSync(HEALTHCHECK_SCRIPT)).toBe(true);
  });
});

describe('container health check script', () => {
  let server: Server;
  let status = 200;
  const paths: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      paths.push(req.url ?? '');
      res.writeHead(status).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  function runCheck(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [HEALTHCHECK_SCRIPT], { env: { PATH: process.env['PATH'], ...env } });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('exit', (code) => resolve({ code, stderr }));
    });
  }

  it('passes while /health/live answers 200 on the port the app reads, and fails otherwise', async () => {
    const port = String((server.address() as AddressInfo).port);
    status = 200;
    expect(await runCheck({ FORMSCALE_APP: 'worker', WORKER_PORT: port })).toEqual({ code: 0, stderr: '' });
    expect(paths).toEqual(['/health/live']);
    status = 503;
    const failed = await runCheck({ FORMSCALE_APP: 'forms-api', FORMS_API_PORT: port });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('answered 503');
  });

  it('fails with a clear message for an app it does not know', async () => {
    const result = await runCheck({ FORMSCALE_APP: 'nope' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('expected one of forms-api, worker, metrics-collector, scaler');
  });
});
