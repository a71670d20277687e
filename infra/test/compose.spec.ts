import Ajv, { ValidateFunction } from 'ajv';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, posix, resolve } from 'node:path';
import { parse } from 'yaml';
import { mergeCompose, readComposeFile, renderStack, STACK_FILE } from '../compose/render-stack';
import { COMPOSE_NGINX_OPTIONS, SHIPPED_CONFIG_DIR } from '../nginx/render';
import { nodeFlagsFor, SCALER_CONFIG } from '@formscale/config';
import { keyword, readDockerStages } from './support/dockerfile';
import { INFRA_ROOT, readJson, WORKSPACE_ROOT, workspaceApps } from './support/repo';
import { checkScalerConfig } from './support/scaler-config';

const COMPOSE_DIR = join(INFRA_ROOT, 'compose');
const composePath = join(COMPOSE_DIR, 'docker-compose.yml');
const scalePath = join(COMPOSE_DIR, 'docker-compose.scale.yml');
const stackPath = join(COMPOSE_DIR, STACK_FILE);

type Service = Record<string, unknown> & {
  image?: string;
  build?: { context: string; dockerfile?: string; target?: string; args?: Record<string, string> };
  depends_on?: Record<string, { condition: string }> | string[];
  environment?: Record<string, string>;
  env_file?: string | string[];
  volumes?: string[];
  networks?: string[];
  configs?: { source: string; target: string }[];
  healthcheck?: { test: string[] };
  deploy?: Record<string, unknown>;
  command?: string[];
  stop_grace_period?: string;
  restart?: string;
};
type ComposeFile = {
  services: Record<string, Service>;
  networks?: Record<string, unknown>;
  volumes?: Record<string, unknown>;
  configs?: Record<string, { file?: string }>;
};

function loadCompose(path: string): ComposeFile {
  return readComposeFile(path) as ComposeFile;
}

/** The Compose Specification's JSON schema, as dclint ships it (the schema of docker compose v2). */
function composeSchemaValidator(): ValidateFunction {
  const schemaPath = join(dirname(require.resolve('dclint/package.json')), 'schemas/compose.schema.json');
  // Its $schema names draft-07 by an address Ajv does not know it by; Ajv's
  // default dialect is draft-07, so the schema compiles as written without it.
  const { $schema: _dialect, ...schema } = readJson<Record<string, unknown>>(schemaPath);
  const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
  return ajv.compile(schema);
}

/** The runtime stage's WORKDIR: where the Dockerfile copies dist/apps/<APP>/. */
function imageWorkdir(): string {
  const runtime = readDockerStages(join(INFRA_ROOT, 'docker/Dockerfile')).at(-1);
  const workdir = runtime?.instructions.filter((i) => keyword(i) === 'WORKDIR').at(-1)?.getArgumentsContent();
  if (!workdir) throw new Error('the runtime stage has no WORKDIR');
  return workdir;
}

/**
 * Where a file the container of `app` reads at `containerPath` comes from on this
 * machine: a mounted compose config, or the app's build output, which the image
 * holds in its WORKDIR. Undefined when the container would not have it.
 */
function containerFileOnHost(svc: Service, file: ComposeFile, app: string, containerPath: string): string | undefined {
  const workdir = imageWorkdir();
  const absolute = posix.resolve(workdir, containerPath);
  const mount = (svc.configs ?? []).find((c) => c.target === absolute);
  if (mount !== undefined) {
    const source = file.configs?.[mount.source]?.file;
    return source === undefined ? undefined : resolve(COMPOSE_DIR, source);
  }
  if (!absolute.startsWith(`${workdir}/`)) return undefined;
  const built = join(WORKSPACE_ROOT, 'dist/apps', app, posix.relative(workdir, absolute));
  return existsSync(built) ? built : undefined;
}

function scalerTargetsOnHost(file: ComposeFile): { path: string | undefined; backend: string } {
  const scaler = file.services['scaler'];
  const containerPath = scaler.environment?.['SCALER_CONFIG'] ?? SCALER_CONFIG.default ?? '';
  return { path: containerFileOnHost(scaler, file, 'scaler', containerPath), backend: scaler.environment?.['SCALER_BACKEND'] ?? '' };
}

function durationSeconds(value: string): number {
  const match = /^(?:(\d+)m)?(?:(\d+)s)?$/.exec(value);
  if (!match || value === '') throw new Error(`unexpected duration ${value}`);
  return Number(match[1] ?? 0) * 60 + Number(match[2] ?? 0);
}

describe('docker compose files', () => {
  const validate = composeSchemaValidator();
  const compose = loadCompose(composePath);
  const merged = mergeCompose(compose, loadCompose(scalePath)) as ComposeFile;
  const services = compose.services;

  it.each([
    ['docker-compose.yml', composePath],
    ['docker-compose.scale.yml', scalePath],
    ['docker-stack.yml', stackPath],
  ])('%s validates against the Compose Specification schema', (_name, path) => {
    const ok = validate(readComposeFile(path));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('validates merged with the scale override, as `docker compose -f ... -f ...` merges them', () => {
    expect(validate(merged)).toBe(true);
    expect(validate.errors ?? []).toEqual([]);
  });

  it('names only services, volumes, networks, configs and env files that exist', () => {
    const problems: string[] = [];
    const names = new Set(Object.keys(services));
    for (const [name, svc] of Object.entries(services)) {
      const deps = Array.isArray(svc.depends_on) ? svc.depends_on : Object.keys(svc.depends_on ?? {});
      for (const dep of deps) if (!names.has(dep)) problems.push(`${name} depends on missing service ${dep}`);
      for (const volume of svc.volumes ?? []) {
        const source = volume.split(':')[0];
        const isPath = source.startsWith('/') || source.startsWith('.');
        if (!isPath && !(compose.volumes && source in compose.volumes)) problems.push(`${name} mounts undeclared volume ${source}`);
      }
      for (const network of svc.networks ?? []) {
        if (!(compose.networks && network in compose.networks)) problems.push(`${name} joins undeclared network ${network}`);
      }
      for (const config of svc.configs ?? []) {
        if (!(compose.configs && config.source in compose.configs)) problems.push(`${name} uses undeclared config ${config.source}`);
      }
      const envFiles = svc.env_file === undefined ? [] : [svc.env_file].flat();
      for (const file of envFiles) if (!existsSync(join(COMPOSE_DIR, file))) problems.push(`${name}: env file ${file} is missing`);
    }
    for (const [name, config] of Object.entries(compose.configs ?? {})) {
      if (!config.file || !existsSync(join(COMPOSE_DIR, config.file))) problems.push(`config ${name}: file ${config.file} is missing`);
    }
    expect(problems).toEqual([]);
  });

  it('builds every image of this repo from a Dockerfile stage that exists, for an app that exists', () => {
    const apps = workspaceApps();
    const built = Object.entries(services).filter(([, svc]) => svc.build !== undefined);
    expect(built.map(([name]) => name).sort()).toEqual(
      ['forms-api', 'metrics-collector', 'migrate', 'scaler', 'worker'].sort(),
    );
    for (const [name, svc] of built) {
      const build = svc.build as NonNullable<Service['build']>;
      const context = resolve(COMPOSE_DIR, build.context);
      expect({ name, context }).toEqual({ name, context: WORKSPACE_ROOT });
      const dockerfile = join(context, build.dockerfile ?? 'Dockerfile');
      expect(existsSync(dockerfile)).toBe(true);
      const stages = readDockerStages(dockerfile).map((s) => s.name);
      expect({ name, target: stages.includes(build.target ?? '') }).toEqual({ name, target: true });
      expect({ name, app: apps.includes(build.args?.['APP'] ?? '') }).toEqual({ name, app: true });
      // One image name per app, so migrate runs exactly the forms-api image.
      expect(svc.image).toMatch(new RegExp(`/${build.args?.['APP']}:`));
    }
  });

  it('starts things in order: each dependency a service waits on has a health check or exits', () => {
    const dockerfileHasHealthcheck = readDockerStages(join(INFRA_ROOT, 'docker/Dockerfile'))
      .at(-1)
      ?.instructions.some((i) => keyword(i) === 'HEALTHCHECK');
    for (const [name, svc] of Object.entries(services)) {
      for (const [dep, { condition }] of Object.entries(svc.depends_on ?? {})) {
        const target = services[dep];
        if (condition === 'service_healthy') {
          const healthy = target.healthcheck !== undefined || (target.build !== undefined && dockerfileHasHealthcheck);
          expect({ name, dep, healthy }).toEqual({ name, dep, healthy: true });
        } else if (condition === 'service_completed_successfully') {
          expect({ name, dep, restart: target.restart }).toEqual({ name, dep, restart: 'no' });
        }
      }
    }
    const appDeps = services['forms-api'].depends_on as Record<string, { condition: string }>;
    expect(appDeps['migrate'].condition).toBe('service_completed_successfully');
    expect(appDeps['redis'].condition).toBe('service_healthy');
    expect(appDeps['postgres-primary'].condition).toBe('service_healthy');
    expect(services['migrate'].command).toEqual(['node', 'migrate.js']);
    expect((services['nginx'].depends_on as Record<string, { condition: string }>)['forms-api'].condition).toBe(
      'service_healthy',
    );
  });

  it('runs Redis with AOF and noeviction, and a primary with two streaming replicas', () => {
    const redis = (services['redis'].command ?? []).join(' ');
    expect(redis).toContain('--appendonly yes');
    expect(redis).toContain('--maxmemory-policy noeviction');
    expect(services['postgres-primary'].command?.join(' ')).toContain('wal_level=replica');
    // Ready over TCP only: the image's init phase serves the Unix socket alone.
    expect(services['postgres-primary'].healthcheck?.test.join(' ')).toContain('--host 127.0.0.1');
    const slots = services['postgres-primary'].environment?.['REPLICATION_SLOTS']?.split(',');
    for (const replica of ['postgres-replica-1', 'postgres-replica-2']) {
      expect(slots).toContain(services[replica].environment?.['REPLICATION_SLOT']);
      expect(services[replica].image).toBe(services['postgres-primary'].image);
      expect(services[replica].healthcheck?.test.join(' ')).toContain('pg_is_in_recovery()');
    }
    const env = readFileSync(join(COMPOSE_DIR, 'formscale.env'), 'utf8');
    expect(env).toMatch(/^DATABASE_REPLICA_URLS=.*postgres-replica-1.*,.*postgres-replica-2/m);
  });

  it('starts each app with the Node flags libs/config gives it', () => {
    for (const app of ['forms-api', 'worker', 'metrics-collector', 'scaler']) {
      const flags = nodeFlagsFor(app);
      expect({ app, nodeOptions: services[app].environment?.['NODE_OPTIONS'] }).toEqual({
        app,
        nodeOptions: flags.length > 0 ? flags.join(' ') : undefined,
      });
    }
    expect(nodeFlagsFor('worker')).not.toHaveLength(0);
  });

  it('gives the worker longer to stop than its drain, and runs the planned replica counts', () => {
    const worker = services['worker'];
    const drainMs = Number(worker.environment?.['WORKER_DRAIN_TIMEOUT_MS']);
    expect(drainMs).toBe(25_000);
    expect(durationSeconds(worker.stop_grace_period ?? '0s') * 1000).toBeGreaterThan(drainMs);
    expect(services['forms-api'].deploy?.['replicas']).toBe(3);
    expect(worker.deploy?.['replicas']).toBe(2);
    expect(services['scaler'].environment?.['SCALER_BACKEND']).toBe('dry-run');
  });

  it('gives the scaler a targets file its container has, which the scaler accepts, all in dry-run', () => {
    const { path, backend } = scalerTargetsOnHost(compose);
    expect({ path: path !== undefined && existsSync(path) }).toEqual({ path: true });
    const targets = checkScalerConfig(path as string, backend);
    expect(targets.map((t) => t.name).sort()).toEqual(['forms-api', 'worker']);
    for (const target of targets) {
      expect({ target: target.name, backend: target.backend, service: target.resource in services }).toEqual({
        target: target.name,
        backend: 'dry-run',
        service: true,
      });
    }
  });

  it('gives the scale override rolling updates, restart policies and resource limits', () => {
    for (const name of ['forms-api', 'worker']) {
      const deploy = merged.services[name].deploy as Record<string, Record<string, unknown>>;
      expect(deploy['update_config']).toMatchObject({ parallelism: 1, delay: '10s', order: 'start-first' });
      expect(deploy['restart_policy']).toMatchObject({ condition: 'on-failure' });
      expect(deploy['resources']).toMatchObject({
        limits: { cpus: expect.any(String), memory: expect.any(String) },
        reservations: { cpus: expect.any(String), memory: expect.any(String) },
      });
    }
  });

  it('mounts the shipped nginx files and starts nginx with the prefix their relative paths assume', () => {
    const nginx = services['nginx'];
    const sources = Object.fromEntries((nginx.configs ?? []).map((c) => [c.target, compose.configs?.[c.source]?.file]));
    expect(resolve(COMPOSE_DIR, sources['/etc/nginx/nginx.conf'] ?? '')).toBe(join(SHIPPED_CONFIG_DIR, 'nginx.conf'));
    expect(resolve(COMPOSE_DIR, sources['/etc/nginx/rate-limits.conf'] ?? '')).toBe(
      join(SHIPPED_CONFIG_DIR, 'rate-limits.conf'),
    );
    expect(nginx.command?.slice(0, 5)).toEqual(['nginx', '-p', '/var/cache/nginx/', '-c', '/etc/nginx/nginx.conf']);
    expect(COMPOSE_NGINX_OPTIONS.cacheDir.startsWith('/')).toBe(false);
    expect(COMPOSE_NGINX_OPTIONS.upstreams).toEqual(['forms-api:3000']);
    expect(services['forms-api'].environment?.['FORMS_API_PORT']).toBe('3000');
    // The API refreshes forms in nginx's cache on its internal port, over a network they share.
    const purge = new URL(services['forms-api'].environment?.['NGINX_PURGE_URLS'] ?? 'http://unset');
    expect({ host: purge.hostname, port: Number(purge.port) }).toEqual({ host: 'nginx', port: COMPOSE_NGINX_OPTIONS.statusPort });
    expect(nginx.networks?.some((network) => services['forms-api'].networks?.includes(network))).toBe(true);
  });

  it("mounts every rule file Prometheus's config names, where the config looks for it", () => {
    const prometheus = services['prometheus'];
    const configFlag = (prometheus.command ?? []).find((arg) => arg.startsWith('--config.file='));
    const configTarget = configFlag?.slice('--config.file='.length) ?? '';
    const mounts = new Map((prometheus.configs ?? []).map((c) => [c.target, compose.configs?.[c.source]?.file]));
    const configSource = mounts.get(configTarget);
    expect({ configTarget, mounted: configSource !== undefined }).toEqual({ configTarget, mounted: true });
    const config = parse(readFileSync(resolve(COMPOSE_DIR, configSource ?? ''), 'utf8')) as { rule_files?: string[] };
    expect(config.rule_files?.length ?? 0).toBeGreaterThan(0);
    for (const ruleFile of config.rule_files ?? []) {
      // Prometheus resolves rule_files relative to its config file.
      const target = posix.resolve(posix.dirname(configTarget), ruleFile);
      const source = mounts.get(target);
      expect({ target, mountedFrom: source === undefined ? undefined : resolve(COMPOSE_DIR, source) }).toEqual({
        target,
        mountedFrom: join(INFRA_ROOT, 'prometheus', ruleFile),
      });
    }
  });

  it('scrapes every app on the port compose gives it', () => {
    const prometheus = parse(readFileSync(join(INFRA_ROOT, 'prometheus/prometheus.yml'), 'utf8')) as {
      scrape_configs: { job_name: string; dns_sd_configs?: { names: string[]; port: number }[] }[];
    };
    const portVariables: Record<string, string> = {
      'forms-api': 'FORMS_API_PORT',
      worker: 'WORKER_PORT',
      'metrics-collector': 'COLLECTOR_PORT',
      scaler: 'SCALER_PORT',
    };
    for (const [app, variable] of Object.entries(portVariables)) {
      const job = prometheus.scrape_configs.find((j) => j.job_name === app);
      expect(job?.dns_sd_configs?.[0].names).toEqual([app]);
      expect(String(job?.dns_sd_configs?.[0].port)).toBe(services[app].environment?.[variable]);
    }
  });
});

describe('docker stack file', () => {
  const stack = loadCompose(stackPath);

  it('is the compose files rendered for Swarm (re-render with `npx tsx infra/compose/render-stack.ts`)', () => {
    expect(readFileSync(stackPath, 'utf8')).toBe(renderStack());
  });

  it('holds only what `docker stack deploy` reads: images, list-form depends_on, no build', () => {
    for (const [name, svc] of Object.entries(stack.services)) {
      expect({ name, build: svc.build }).toEqual({ name, build: undefined });
      expect({ name, image: typeof svc.image }).toEqual({ name, image: 'string' });
      if (svc.depends_on !== undefined) expect({ name, list: Array.isArray(svc.depends_on) }).toEqual({ name, list: true });
    }
    expect(Object.keys(stack)).not.toContain('name');
  });

  it('lets the scaler apply decisions through the Swarm API of a manager', () => {
    const scaler = stack.services['scaler'];
    expect(scaler.environment?.['SCALER_BACKEND']).toBe('swarm');
    expect(scaler.volumes).toContain('/var/run/docker.sock:/var/run/docker.sock');
    expect(scaler.deploy?.['placement']).toEqual({ constraints: ['node.role == manager'] });
    expect(stack.services['forms-api'].deploy?.['replicas']).toBe(3);
  });

  it('mounts the scaler a Swarm targets file naming services of the `formscale` stack', () => {
    const { path, backend } = scalerTargetsOnHost(stack);
    expect({ path: path !== undefined && existsSync(path) }).toEqual({ path: true });
    const targets = checkScalerConfig(path as string, backend);
    expect(targets.map((t) => t.name)).toEqual(['worker']);
    for (const target of targets) {
      const service = target.resource.replace(/^formscale_/, '');
      expect({ backend: target.backend, resource: target.resource, replicated: stack.services[service]?.deploy?.['replicas'] !== undefined }).toEqual({
        backend: 'swarm',
        resource: `formscale_${service}`,
        replicated: true,
      });
    }
  });
});
